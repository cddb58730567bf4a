"""Helpers for the gateway tests: a test service on MQTT, charge points
on real WebSockets, gateways on free ports. Loopback only."""

import asyncio
import itertools
import json
import os
import sys

import gmqtt
from ocpp16 import protocol
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.demo import answering_class
from ocppj_aio.gateway import BrokerSettings, Gateway
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# The interop tests' table of one valid request and response per action.
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "interop")
)
import payloads  # noqa: E402

HOST = "127.0.0.1"
AnsweringChargePoint = answering_class(protocol, "ChargePoint")
_service_ids = itertools.count(1)


def run(coroutine, timeout=30):
    async def bounded():
        return await asyncio.wait_for(coroutine, timeout)

    return asyncio.run(bounded())


async def wait_for(predicate, timeout=5, step=0.01):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        await asyncio.sleep(step)


def gateway(broker, mqtt_protocol="5", client_id=None, **options):
    """A Gateway on a free port for the Mosquitto ``broker``."""
    options.setdefault("protocol", protocol)
    options.setdefault("host", HOST)
    options.setdefault("port", 0)
    options.setdefault("call_timeout", 5)
    options.setdefault("command_timeout", 5)
    settings = BrokerSettings.from_url(
        broker.url, protocol=mqtt_protocol, client_id=client_id, reconnect_delay=0.2
    )
    return Gateway(broker=settings, **options)


def downstream_topic(preset, identity, kind="Reply", action="Any"):
    """A concrete topic a service publishes on for ``identity``."""
    if preset == "emqx5":
        return "ocpp/cs/%s" % identity
    return "ocpp/%s/%s/%s" % (identity, kind, action)


def upstream_call_topic(preset, identity, action):
    if preset == "emqx5":
        return "ocpp/cp/%s" % identity
    return "ocpp/cp/%s/%s" % (identity, action)


def reply_topic(preset, identity):
    return "ocpp/cp/%s/Reply" % identity if preset == "emqx5" else "ocpp/cp/Reply/%s" % identity


def error_topic(preset, identity):
    return "ocpp/cp/%s/Reply" % identity if preset == "emqx5" else "ocpp/cp/Error/%s" % identity


def gateway_error_topic(preset, identity):
    if preset == "emqx5":
        return "ocpp/cp/%s/GatewayError" % identity
    return "ocpp/cp/GatewayError/%s" % identity


def status_topic(preset, identity):
    return "ocpp/cp/%s/Status" % identity if preset == "emqx5" else "ocpp/cp/Status/%s" % identity


class Service:
    """A business service on MQTT: records everything under ``filters``
    (JSON-decoded where possible) and publishes EMQX messages."""

    def __init__(
        self,
        broker,
        filters=("ocpp/#",),
        client_id=None,
        version=5,
        persistent=False,
        ssl=False,
        credentials=None,
    ):
        self.broker = broker
        self.filters = filters
        self.client_id = client_id or "test-service-%d" % next(_service_ids)
        self.version = version
        self.persistent = persistent
        self.ssl = ssl
        self.credentials = credentials
        self.received = []  # (topic, decoded payload or raw bytes, retain)
        self._changed = None
        self._answering = None
        self.client = None

    async def start(self):
        self._changed = asyncio.Event()
        if self.persistent:
            # a session the broker keeps while we are away (and across its
            # restarts, with persistence), resumed on reconnect
            client = gmqtt.Client(self.client_id, clean_session=False, session_expiry_interval=600)
            client.set_config({"reconnect_delay": 0.2, "reconnect_retries": -1})
        else:
            client = gmqtt.Client(self.client_id, clean_session=True)
        client.on_message = self._on_message
        if self.credentials is not None:
            client.set_auth_credentials(*self.credentials)
        await client.connect(HOST, self.broker.port, ssl=self.ssl, version=self.version)
        for topic_filter in self.filters:
            client.subscribe(topic_filter, qos=1)
        self.client = client
        await asyncio.sleep(0.05)  # SUBACK
        return self

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc_info):
        await self.close()

    async def close(self):
        if self.client is not None:
            await self.client.disconnect()
            # let gmqtt's reconnect task see the disconnect and end
            for _ in range(3):
                await asyncio.sleep(0)

    def _on_message(self, client, topic, payload, qos, properties):
        try:
            value = json.loads(payload) if payload else None
        except ValueError:
            value = payload
        self.received.append((topic, value, bool(properties.get("retain"))))
        if self._answering is not None:
            self._maybe_answer(topic, value)
        self._changed.set()
        return 0

    def publish(self, topic, message, retain=False):
        if isinstance(message, (dict, list)):
            message = json.dumps(message)
        self.client.publish(topic, message, qos=1, retain=retain)

    def answer_calls(self, preset="emqx4", answer=None):
        """Answer every upstream CALL: ``answer(identity, action, payload)``
        returns the wire response (default: the interop table's)."""
        self._answering = (preset, answer)

    def _maybe_answer(self, topic, value):
        preset, answer = self._answering
        if not isinstance(value, dict) or value.get("MessageTypeId") != 2:
            return
        if not topic.startswith("ocpp/cp/"):
            return  # a CALL to a charge point (ours, or another service's)
        identity = topic.split("/")[2]
        action = value["Action"]
        if answer is None:
            response = payloads.RESPONSES[action]
        else:
            response = answer(identity, action, value["Payload"])
        self.publish(
            downstream_topic(preset, identity, "Reply", action),
            {"MessageTypeId": 3, "UniqueId": value["UniqueId"], "Payload": response},
        )

    def on(self, topic):
        return [value for name, value, _ in self.received if name == topic]

    async def expect(self, predicate, timeout=5):
        """The first (topic, value) received that ``predicate(topic, value)``
        accepts (looking at all received so far, then waiting)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = 0
        while True:
            while seen < len(self.received):
                topic, value, _ = self.received[seen]
                seen += 1
                if predicate(topic, value):
                    return topic, value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    "no matching message within %ss; got %r" % (timeout, self.received[-10:])
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def expect_on(self, topic, timeout=5, **fields):
        """The first message on ``topic`` whose keys have ``fields``' values."""

        def matches(name, value):
            return (
                name == topic
                and isinstance(value, dict)
                and all(value.get(key) == wanted for key, wanted in fields.items())
            )

        return (await self.expect(matches, timeout))[1]


async def charge_point(url, cls=AnsweringChargePoint, **options):
    """A charge point-side ChargePoint reading from a real connection."""
    websocket = await connect(url, subprotocols=["ocpp1.6"], open_timeout=5)
    cp = cls(url.rsplit("/", 1)[-1], websocket, protocol=protocol, **options)
    reader = asyncio.ensure_future(_read(cp))
    return websocket, cp, reader


async def _read(cp):
    try:
        await cp.start()
    except ConnectionClosed:
        pass


__all__ = [
    "AnsweringChargePoint",
    "ChargePoint",
    "Service",
    "charge_point",
    "gateway",
    "run",
    "wait_for",
]
