"""Several gateways on one broker: commands reach the gateway holding the
charge point; a gateway killed hands its charge points to the other, the
status topics follow, and no acknowledged transaction message is lost."""

import asyncio
import itertools
import os
import signal
import subprocess
import sys

from gateway_support import Service, charge_point, gateway, run, wait_for
from mosquitto_broker import Mosquitto, free_port
from ocpp16 import call, protocol
from ocppj_aio.client import ChargePointClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_two_gateways_100_charge_points_each_commands_and_answers_routed_right(tmp_path):
    per_gateway = 100
    with Mosquitto(tmp_path) as broker:

        async def scenario():
            async with (
                Service(broker) as service,
                gateway(broker, gateway_id="gw-A") as first,
                gateway(broker, gateway_id="gw-B") as second,
            ):
                service.answer_calls(
                    answer=lambda identity, action, payload: {
                        "idTagInfo": {"status": "Accepted", "parentIdTag": identity}
                    }
                )
                connections = []
                for index in range(2 * per_gateway):
                    gw = first if index % 2 == 0 else second
                    connections.append(await charge_point(gw.url("CP-%03d" % index)))
                await wait_for(
                    lambda: len(first.charge_points) == len(second.charge_points) == per_gateway,
                    timeout=10,
                )
                # every charge point's CALL is answered by the service, and the
                # answer reaches that charge point (the service echoes its id)
                answers = await asyncio.gather(
                    *(
                        cp.call(call.Authorize(id_tag="T"), suppress=False)
                        for _, cp, _ in connections
                    )
                )
                assert [a.id_tag_info.parent_id_tag for a in answers] == [
                    cp.id for _, cp, _ in connections
                ]
                # a command to each: answered by that charge point, through the
                # gateway that holds it, and only once
                for index, (_, cp, _) in enumerate(connections):
                    service.publish(
                        "ocpp/%s/Call/GetLocalListVersion" % cp.id,
                        {
                            "MessageTypeId": 2,
                            "UniqueId": "v-%d" % index,
                            "Action": "GetLocalListVersion",
                            "Payload": {},
                        },
                    )
                for index, (_, cp, _) in enumerate(connections):
                    await service.expect_on(
                        "ocpp/cp/Reply/%s" % cp.id, timeout=10, UniqueId="v-%d" % index
                    )
                replies = [
                    value
                    for topic, value, _ in service.received
                    if topic.startswith("ocpp/cp/Reply/")
                ]
                assert len(replies) == 2 * per_gateway
                for _, cp, _ in connections:
                    holder = first if cp.id in first.charge_points else second
                    status = service.on("ocpp/cp/Status/" + cp.id)[-1]
                    assert status == {
                        "status": "online",
                        "gateway": holder.gateway_id,
                        "since": status["since"],
                    }
                for websocket, _, _ in connections:
                    await websocket.close()

        run(scenario(), timeout=60)


def _start_gateway(broker, port, name):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocppj_aio.gateway",
            "--broker",
            broker.url,
            "--port",
            str(port),
            "--reuse-port",
            "--gateway-id",
            name,
            "--client-id",
            name,
            "--call-timeout",
            "3",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert "charge points at" in line, line + process.stderr.read()
    return process


def test_a_killed_gateway_hands_its_charge_points_to_the_other(tmp_path):
    count = 200  # about 100 on each gateway (the kernel spreads them)
    with Mosquitto(tmp_path) as broker:
        port = free_port()
        first = _start_gateway(broker, port, "gw-A")
        second = _start_gateway(broker, port, "gw-B")
        try:
            run(_handover(broker, port, count, first), timeout=60)
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                process.wait(15)
                process.stdout.close()
                process.stderr.close()


async def _handover(broker, port, count, first):
    transaction_ids = itertools.count(1)
    seen = []  # (identity, action, payload) the service got

    def answer(identity, action, payload):
        seen.append((identity, action, payload))
        if action == "StartTransaction":
            return {"idTagInfo": {"status": "Accepted"}, "transactionId": next(transaction_ids)}
        if action in ("StopTransaction", "Authorize"):
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 300}
        return {}

    async with Service(broker) as service:
        service.answer_calls(answer=answer)
        clients = [
            ChargePointClient(
                "ws://127.0.0.1:%d/CP-K-%02d" % (port, index),
                protocol=protocol,
                boot_notification=call.BootNotification(
                    charge_point_vendor="V", charge_point_model="M"
                ),
                reconnect_delay=0.1,
                reconnect_max_delay=0.5,
                heartbeats=False,
                response_timeout=5,
            )
            for index in range(count)
        ]
        for client in clients:
            await client.start()
        try:
            for client in clients:
                await client.wait_accepted(timeout=10)

            def holders():
                latest = {}
                for topic, value, _ in service.received:
                    if topic.startswith("ocpp/cp/Status/"):
                        latest[topic.rsplit("/", 1)[1]] = value
                return latest

            await wait_for(lambda: len(holders()) == count, timeout=10)
            on_first = [i for i, v in holders().items() if v["gateway"] == "gw-A"]
            assert on_first and len(on_first) < count  # the kernel used both

            deliveries = []
            for index, client in enumerate(clients):
                start = client.enqueue(
                    call.StartTransaction(
                        connector_id=1, id_tag="T%d" % index, meter_start=0, timestamp=_now()
                    )
                )
                deliveries.append(start)
                deliveries.append(client.enqueue(_meter(index, 1), transaction=start.transaction))
            first.send_signal(signal.SIGKILL)  # mid-traffic, no goodbye
            for index, client in enumerate(clients):
                transaction = deliveries[2 * index].transaction
                deliveries.append(client.enqueue(_meter(index, 2), transaction=transaction))
                deliveries.append(
                    client.enqueue(
                        call.StopTransaction(
                            transaction_id=0, meter_stop=2, timestamp=_now(), id_tag="T%d" % index
                        ),
                        transaction=transaction,
                    )
                )
            await asyncio.wait_for(asyncio.gather(*deliveries), 30)

            # every acknowledged message reached the service
            for index in range(count):
                identity = "CP-K-%02d" % index
                got = [(a, p) for i, a, p in seen if i == identity]
                actions = [a for a, _ in got]
                for wanted in ("StartTransaction", "StopTransaction"):
                    assert wanted in actions, (identity, actions)
                values = {
                    p["meterValue"][0]["sampledValue"][0]["value"]
                    for a, p in got
                    if a == "MeterValues"
                }
                assert values == {"1", "2"}, (identity, got)
            # all moved to gw-B, and the status topics say so
            await wait_for(
                lambda: all(v == _online("gw-B", v) for v in holders().values()), timeout=10
            )
            gateway_a = service.on("ocpp/gw/gw-A")[-1]
            assert gateway_a["status"] == "offline"
        finally:
            for client in clients:
                await client.close()


def _online(gateway_id, value):
    return {"status": "online", "gateway": gateway_id, "since": value.get("since")}


def _meter(index, value):
    return call.MeterValues(
        connector_id=1,
        transaction_id=0,
        meter_value=[
            {
                "timestamp": _now(),
                "sampled_value": [
                    {"value": str(value), "measurand": "Energy.Active.Import.Register"}
                ],
            }
        ],
    )


def _now():
    return "2026-01-01T00:00:00Z"


def test_upstream_consumers_share_the_load_with_a_shared_subscription(tmp_path):
    with Mosquitto(tmp_path) as broker:

        async def scenario():
            shared = ("$share/services/ocpp/cp/+/+",)
            async with (
                Service(broker, filters=shared) as first,
                Service(broker, filters=shared) as second,
                gateway(broker) as gw,
            ):
                first.answer_calls()
                second.answer_calls()
                _, cp, _ = await charge_point(gw.url("CP-SH-1"))
                for _ in range(40):
                    await cp.call(call.Heartbeat(), suppress=False)

                def calls(service):
                    return [
                        value["UniqueId"]
                        for topic, value, _ in service.received
                        if topic == "ocpp/cp/CP-SH-1/Heartbeat"
                    ]

                # each CALL went to exactly one of them, and both got some
                assert len(calls(first)) + len(calls(second)) == 40
                assert not set(calls(first)) & set(calls(second))
                assert calls(first) and calls(second)

        run(scenario())
