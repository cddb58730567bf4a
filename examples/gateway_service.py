"""A business service behind ``ocppj gateway``: an MQTT client, no OCPP
library needed.

    mosquitto -p 1883 &
    ocppj gateway --broker mqtt://127.0.0.1:1883 --port 9000 &
    python examples/gateway_service.py --broker mqtt://127.0.0.1:1883 --remote-start TAG-1
    ocppj simulate ws://127.0.0.1:9000/CP-1 --stay

It answers what charge points send (BootNotification, Heartbeat,
StatusNotification, Authorize, Start/StopTransaction, MeterValues, ...)
and, with ``--remote-start ID_TAG``, starts a transaction on each charge
point once it has booted (a RemoteStartTransaction CALL down to the
charge point; its answer comes back on the reply topic).

Topics (``emqx4``, the gateway's default preset): CALLs arrive on
``ocpp/cp/<cid>/<action>``; answers and commands go to
``ocpp/<cid>/<Reply|Call>/<action>``; the charge point's answers to our
commands come back on ``ocpp/cp/Reply/<cid>`` and ``ocpp/cp/Error/<cid>``,
what the gateway has to say about our messages (timeouts, offline,
invalid payloads) on ``ocpp/cp/GatewayError/<cid>``.

Several copies of this service share the load: they subscribe with an
MQTT 5 shared subscription (``$share/<group>/...``), so the broker hands
each CALL to one of them. A charge point's CALL may come twice (QoS 1 is
at least once): the service answers both; the gateway forwards the first
answer and drops the second.
"""

import argparse
import asyncio
import datetime
import itertools
import json
import logging
import signal
import sys
import urllib.parse

import gmqtt

LOG = logging.getLogger("gateway-service")

# emqx4: ocpp/cp/<cid>/<action> (CALLs) and ocpp/cp/<Reply|Error|GatewayError|Status>/<cid>;
# a charge point called Reply, Error, GatewayError or Status would be
# ambiguous here, as it is in EMQX's layout.
UPSTREAM = "ocpp/cp/+/+"
NOT_CALLS = ("Reply", "Error", "GatewayError", "Status")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Service:
    def __init__(self, client, remote_start=None, heartbeat_interval=300):
        self.client = client
        self.remote_start = remote_start
        self.heartbeat_interval = heartbeat_interval
        self.transaction_ids = itertools.count(1)
        self.command_ids = itertools.count(1)
        self.answered = 0

    # ---------------------------------------------------------- incoming

    def on_message(self, client, topic, payload, qos, properties):
        levels = topic.split("/")
        try:
            message = json.loads(payload)
        except ValueError:
            LOG.warning("not JSON on %s", topic)
            return 0
        if levels[2] == "Status":
            LOG.debug("%s is %s", levels[3], message.get("status"))
        elif levels[2] in NOT_CALLS:
            self.on_answer(levels[2], levels[3], message)
        elif len(levels) == 4 and message.get("MessageTypeId") == 2:
            self.on_call(levels[2], message)
        return 0

    def on_call(self, cid, message):
        action = message["Action"]
        answer = self.answer(action, message["Payload"])
        self.publish(
            "ocpp/%s/Reply/%s" % (cid, action),
            {"MessageTypeId": 3, "UniqueId": message["UniqueId"], "Payload": answer},
        )
        self.answered += 1
        if action == "BootNotification" and self.remote_start:
            self.command(
                cid,
                "RemoteStartTransaction",
                {"connectorId": 1, "idTag": self.remote_start},
            )

    def answer(self, action, payload):
        if action == "MeterValues" or action.endswith("StatusNotification"):
            return {}
        if action == "Heartbeat":
            return {"currentTime": now()}
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": now(), "interval": self.heartbeat_interval}
        if action in ("Authorize", "StopTransaction"):
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "StartTransaction":
            return {
                "idTagInfo": {"status": "Accepted"},
                "transactionId": next(self.transaction_ids),
            }
        if action == "DataTransfer":
            return {"status": "UnknownVendorId"}
        if action == "SignCertificate":
            return {"status": "Rejected"}
        return {}  # LogStatusNotification, SecurityEventNotification, ...

    def on_answer(self, kind, cid, message):
        if kind == "Reply":
            LOG.info(
                "%s answered %s %s: %s",
                cid,
                message.get("Action"),
                message["UniqueId"],
                message.get("Payload"),
            )
        else:
            LOG.warning(
                "%s: %s %s: %s %s",
                cid,
                kind,
                message.get("UniqueId"),
                message.get("ErrorCode"),
                message.get("ErrorDescription"),
            )

    # ---------------------------------------------------------- outgoing

    def command(self, cid, action, payload):
        unique_id = "svc-%d" % next(self.command_ids)
        self.publish(
            "ocpp/%s/Call/%s" % (cid, action),
            {"MessageTypeId": 2, "UniqueId": unique_id, "Action": action, "Payload": payload},
        )
        return unique_id

    def publish(self, topic, message):
        self.client.publish(topic, json.dumps(message, separators=(",", ":")), qos=1)


async def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--group", default="services", help="shared subscription group")
    parser.add_argument("--client-id", default=None)
    parser.add_argument("--remote-start", metavar="ID_TAG", help="start a transaction after boot")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0 until Ctrl-C")
    parser.add_argument("--ready", action="store_true", help="print 'ready' once subscribed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    url = urllib.parse.urlsplit(args.broker)
    client = gmqtt.Client(args.client_id or "gateway-service-%d" % id(parser))
    service = Service(client, remote_start=args.remote_start)
    client.on_message = service.on_message
    if url.username:
        client.set_auth_credentials(url.username, url.password)
    await client.connect(url.hostname, url.port or 1883, ssl=url.scheme == "mqtts")
    client.subscribe("$share/%s/%s" % (args.group, UPSTREAM), qos=1)
    if args.ready:
        await asyncio.sleep(0.2)  # SUBACKs
        print("ready", flush=True)
    stop = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(number, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.duration or None)
    except asyncio.TimeoutError:
        pass
    await client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
