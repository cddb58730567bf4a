"""Interop with mobilityhouse ``ocpp`` 2.1.0 over real WebSockets on
127.0.0.1, its schema validation on (the default: every CALL it sends or
receives and every CALLRESULT it sends or receives is checked against its
copy of the official schemas).

* their ``ocpp.v16.ChargePoint`` as the charge point (a ``websockets``
  client, subprotocol ocpp1.6) against our ``CentralSystem``;
* their ``ChargePoint`` with ``@on`` handlers in a ``websockets`` server as
  the central system against our ``ChargePointClient``.

In each session every one of the 39 actions is sent once by the side that
may initiate it: the 14 charge-point actions (DataTransfer included) by
the charge point, the 26 central-system actions (DataTransfer included,
the security extension's too) by the central system.
"""

import asyncio
import importlib.metadata
import logging

import payloads
import websockets
from interop_support import (
    assert_seen_in_order,
    assert_wire_equal,
    check_our_response,
    recording_class,
    run,
)
from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.routing import on as their_on
from ocpp.v16 import ChargePoint as TheirChargePoint
from ocpp.v16 import call as their_call
from ocpp.v16 import call_result as their_call_result
from ocpp16 import protocol
from ocppj_aio.client import ChargePointClient
from ocppj_aio.server import CentralSystem

CHARGE_POINT_ACTIONS = payloads.initiated_by(payloads.CHARGE_POINT)
CENTRAL_SYSTEM_ACTIONS = payloads.initiated_by(payloads.CENTRAL_SYSTEM)


def test_the_pinned_version_is_installed():
    assert importlib.metadata.version("ocpp") == "2.1.0"


def their_request(action):
    """Their call dataclass for the table's request, as a user builds it
    (snake_case keyword arguments)."""
    return getattr(their_call, action)(**camel_to_snake_case(payloads.REQUESTS[action]))


def their_response(action):
    return getattr(their_call_result, action)(**camel_to_snake_case(payloads.RESPONSES[action]))


def their_wire(obj):
    """The wire dict mobilityhouse makes of its dataclass (what it sent or
    what it got back)."""
    return remove_nones(snake_to_camel_case(serialize_as_dict(obj)))


def their_class(seen, actions):
    """A mobilityhouse v16 ChargePoint answering ``actions`` from the table,
    recording ``(action, keyword arguments)`` its handlers got."""
    namespace = {}

    def make(action):
        async def handler(self, **fields):
            seen.append((action, fields))
            return their_response(action)

        handler.__name__ = "on_" + action
        return their_on(action)(handler)

    for action in actions:
        namespace["on_" + action] = make(action)
    return type("TheirRecordingChargePoint", (TheirChargePoint,), namespace)


def assert_they_saw(seen, actions):
    assert [action for action, _ in seen] == list(actions)
    for action, fields in seen:
        assert_wire_equal(fields, camel_to_snake_case(payloads.REQUESTS[action]), action + ".req")


def assert_they_got(results, actions):
    assert list(results) == list(actions)
    for action, response in results.items():
        assert type(response) is getattr(their_call_result, action), (action, response)
        assert_wire_equal(their_wire(response), payloads.RESPONSES[action], action + ".conf")


class _Errors(logging.Handler):
    """Collects ERROR records (mobilityhouse logs a failed validation of
    something it received with logger.exception before answering it)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


def _watch_errors():
    handler = _Errors()
    logging.getLogger("ocpp").addHandler(handler)
    return handler


def test_mobilityhouse_charge_point_against_our_central_system():
    seen_by_us = []
    seen_by_them = []
    their_results = {}
    our_results = {}
    errors = _watch_errors()

    async def scenario():
        async with CentralSystem(
            recording_class(payloads.CENTRAL_SYSTEM, seen_by_us),
            protocol=protocol,
            port=0,
        ) as server:
            async with websockets.connect(
                server.url("MH-CP-1"), subprotocols=["ocpp1.6"]
            ) as websocket:
                assert websocket.subprotocol == "ocpp1.6"
                charge_point = their_class(seen_by_them, CENTRAL_SYSTEM_ACTIONS)(
                    "MH-CP-1", websocket
                )
                reader = asyncio.ensure_future(charge_point.start())
                try:
                    for action in CHARGE_POINT_ACTIONS:
                        their_results[action] = await charge_point.call(
                            their_request(action), suppress=False
                        )
                    assert server.is_connected("MH-CP-1")
                    for action in CENTRAL_SYSTEM_ACTIONS:
                        our_results[action] = await server.call(
                            "MH-CP-1", payloads.typed_request(action), suppress=False
                        )
                finally:
                    reader.cancel()

    try:
        run(scenario())
    finally:
        logging.getLogger("ocpp").removeHandler(errors)

    # they sent, we received typed requests and they got valid answers
    assert_seen_in_order(seen_by_us, CHARGE_POINT_ACTIONS)
    assert_they_got(their_results, CHARGE_POINT_ACTIONS)
    # we sent, they received valid requests and we got typed answers
    assert_they_saw(seen_by_them, CENTRAL_SYSTEM_ACTIONS)
    assert list(our_results) == CENTRAL_SYSTEM_ACTIONS
    for action, response in our_results.items():
        check_our_response(action, response)
    assert errors.records == []


def test_mobilityhouse_central_system_against_our_charge_point():
    seen_by_us = []
    seen_by_them = []
    their_results = {}
    our_results = {}
    errors = _watch_errors()

    async def scenario():
        connected = asyncio.Queue()
        finished = asyncio.Event()

        async def serve(websocket):
            identity = websocket.request.path.rsplit("/", 1)[-1]
            central_system = their_class(seen_by_them, CHARGE_POINT_ACTIONS)(identity, websocket)
            await connected.put((central_system, websocket))
            try:
                await central_system.start()
            except websockets.ConnectionClosed:
                pass
            finally:
                finished.set()

        async with websockets.serve(serve, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as listener:
            port = listener.sockets[0].getsockname()[1]
            client = ChargePointClient(
                "ws://127.0.0.1:%d/ocpp" % port,
                "OUR-CP-1",
                protocol=protocol,
                boot_notification=payloads.typed_request("BootNotification"),
                charge_point_factory=recording_class(payloads.CHARGE_POINT, seen_by_us),
                max_reconnects=0,
            )
            async with client:
                await client.wait_accepted(timeout=10)
                our_results["BootNotification"] = client.registration
                central_system, websocket = await connected.get()
                assert websocket.subprotocol == "ocpp1.6"
                assert central_system.id == "OUR-CP-1"
                for action in CENTRAL_SYSTEM_ACTIONS:
                    their_results[action] = await central_system.call(
                        their_request(action), suppress=False
                    )
                for action in CHARGE_POINT_ACTIONS[1:]:
                    our_results[action] = await client.call(
                        payloads.typed_request(action), suppress=False
                    )
            await asyncio.wait_for(finished.wait(), 5)

    try:
        run(scenario())
    finally:
        logging.getLogger("ocpp").removeHandler(errors)

    assert CHARGE_POINT_ACTIONS[0] == "BootNotification"
    assert_they_saw(seen_by_them, CHARGE_POINT_ACTIONS)
    assert list(our_results) == CHARGE_POINT_ACTIONS
    for action, response in our_results.items():
        check_our_response(action, response)
    assert_seen_in_order(seen_by_us, CENTRAL_SYSTEM_ACTIONS)
    assert_they_got(their_results, CENTRAL_SYSTEM_ACTIONS)
    assert errors.records == []
