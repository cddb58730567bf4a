"""Invalid CALLs across the same real WebSocket pairings: the receiving
peer refuses them with a CALLERROR and the sender gets a typed error it can
act on, not a timeout or a crash.

* We send invalid CALLs (our outgoing validation skipped on purpose) to
  mobilityhouse and to ocpp-rpc charge points; their validators refuse
  them, and we map the codes they send, including ``FormatViolation``
  (mobilityhouse; not a 1.6 wire code, the errata's spelling) to our
  error classes. Our API cannot leave a required field out (a typed
  request encodes it as null), so "missing" is covered in the other
  direction only.
* mobilityhouse sends us invalid CALLs (its ``skip_schema_validation``);
  we answer with the 1.6 codes and ``{"path", "rule"}`` details, and it
  raises its own exception class for each.

ocpp-rpc in strict mode cannot be made to send an invalid CALL (its
outbound check has no switch), so the direction peer -> us is covered by
mobilityhouse only.
"""

import asyncio

import payloads
import websockets
from interop_support import NodePeer, node_or_skip, recording_class, run, write_table
from ocpp import exceptions as their_exceptions
from ocpp.routing import on as their_on
from ocpp.v16 import ChargePoint as TheirChargePoint
from ocpp.v16 import call as their_call
from ocpp16 import protocol
from ocppj import errors
from ocppj_aio.server import CentralSystem

Reset = protocol.request_class("Reset")
INVALID_RESETS = [
    ("type null", Reset(type=None)),  # a required field encodes as null
    ("type not in the enum", Reset(type="Medium")),
    ("type not a string", Reset(type=5)),
]


async def refusals(charge_point):
    """Send each invalid Reset with our validation skipped; returns the
    exception each one raised (None if one was answered with a result)."""
    caught = []
    for _, request in INVALID_RESETS:
        try:
            await charge_point.call(request, suppress=False, skip_schema_validation=True)
        except errors.OCPPError as refused:
            caught.append(refused)
        else:
            caught.append(None)
    return caught


def assert_typed_refusals(caught, expected_classes):
    for (why, _), refused, expected in zip(INVALID_RESETS, caught, expected_classes):
        assert refused is not None, "the peer answered an invalid Reset (%s)" % why
        assert type(refused) is expected, (why, refused)
        assert refused.code in errors.ERROR_CLASSES, (why, refused.code)


class TheirRefusingChargePoint(TheirChargePoint):
    @their_on("Reset")
    def on_reset(self, **fields):
        raise AssertionError("an invalid Reset reached the handler: %r" % (fields,))


def test_mobilityhouse_refuses_our_invalid_calls_and_we_get_typed_errors():
    async def scenario():
        async with CentralSystem(
            recording_class(payloads.CENTRAL_SYSTEM, []), protocol=protocol, port=0
        ) as server:
            async with websockets.connect(
                server.url("MH-ERR"), subprotocols=["ocpp1.6"]
            ) as websocket:
                charge_point = TheirRefusingChargePoint("MH-ERR", websocket)
                reader = asyncio.ensure_future(charge_point.start())
                try:
                    while not server.is_connected("MH-ERR"):
                        await asyncio.sleep(0.01)
                    return await refusals(server.charge_points["MH-ERR"])
                finally:
                    reader.cancel()

    caught = run(scenario())
    # mobilityhouse 2.1.0 says "FormatViolation" (the errata / OCPP 2.0
    # spelling, which we accept when receiving) for an enum violation
    assert_typed_refusals(
        caught,
        [
            errors.TypeConstraintViolationError,
            errors.FormationViolationError,
            errors.TypeConstraintViolationError,
        ],
    )


def test_we_refuse_invalid_calls_from_mobilityhouse_with_codes_it_understands():
    invalid = [
        (
            their_call.BootNotification(charge_point_vendor="V", charge_point_model=None),
            their_exceptions.OccurenceConstraintViolationError,
            {"path": "chargePointModel", "rule": "required"},
        ),
        (
            their_call.BootNotification(charge_point_vendor="V" * 21, charge_point_model="M"),
            their_exceptions.PropertyConstraintViolationError,
            {"path": "chargePointVendor", "rule": "maxLength 20"},
        ),
        (
            their_call.StatusNotification(
                connector_id="1", error_code="NoError", status="Available"
            ),
            their_exceptions.TypeConstraintViolationError,
            {"path": "connectorId", "rule": "type integer"},
        ),
    ]
    seen_by_us = []

    async def scenario():
        outcomes = []
        async with CentralSystem(
            recording_class(payloads.CENTRAL_SYSTEM, seen_by_us),
            protocol=protocol,
            port=0,
        ) as server:
            async with websockets.connect(
                server.url("MH-ERR-2"), subprotocols=["ocpp1.6"]
            ) as websocket:
                charge_point = TheirChargePoint("MH-ERR-2", websocket)
                reader = asyncio.ensure_future(charge_point.start())
                try:
                    for request, _, _ in invalid:
                        try:
                            await charge_point.call(
                                request, suppress=False, skip_schema_validation=True
                            )
                        except their_exceptions.OCPPError as refused:
                            outcomes.append(refused)
                        else:
                            outcomes.append(None)
                finally:
                    reader.cancel()
        return outcomes

    outcomes = run(scenario())
    assert seen_by_us == []  # no invalid request reached a handler
    for (request, expected, details), refused in zip(invalid, outcomes):
        assert type(refused) is expected, (request, refused)
        assert refused.details == details


def test_ocpp_rpc_refuses_our_invalid_calls_and_we_get_typed_errors(tmp_path):
    node = node_or_skip()
    table = write_table(tmp_path, chargePointActions=[])

    async def scenario():
        async with CentralSystem(
            recording_class(payloads.CENTRAL_SYSTEM, []), protocol=protocol, port=0
        ) as server:
            peer = NodePeer(node, "charge_point.js", server.url(), "RPC-ERR", table)
            await peer.start()
            try:
                await peer.wait_for("calls_done")
                caught = await refusals(server.charge_points["RPC-ERR"])
                await server.close()
                await peer.wait_for("closed")
                await peer.finish()
            finally:
                peer.kill()
        return caught, peer

    caught, peer = run(scenario())
    # ocpp-rpc maps ajv's "enum" to FormatViolation and renames that to
    # FormationViolation for ocpp1.6
    assert_typed_refusals(
        caught,
        [
            errors.TypeConstraintViolationError,
            errors.FormationViolationError,
            errors.TypeConstraintViolationError,
        ],
    )
    failures = peer.named("strictValidationFailure")
    assert [(f["method"], f["outbound"], f["isCall"]) for f in failures] == [
        ("Reset", False, True)
    ] * len(INVALID_RESETS)
    assert peer.named("handled") == [] and peer.named("unexpected") == []
