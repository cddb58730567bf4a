"""What the gateway does beyond EMQX's: validation both ways with errors
that name field and rule, timeouts both ways, one service CALL at a time
per charge point, CALLERRORs with ErrorDetails, offline charge points,
duplicates, congestion."""

import asyncio

import pytest
from gateway_support import (
    AnsweringChargePoint,
    ChargePoint,
    Service,
    charge_point,
    gateway,
    run,
    wait_for,
)
from mosquitto_broker import Mosquitto
from ocpp16 import call
from ocppj import errors
from ocppj.routing import on
from websockets.exceptions import InvalidStatus

CP = "CP-B-1"
UP = "ocpp/cp/%s/" % CP
DOWN = "ocpp/%s/" % CP
REPLY = "ocpp/cp/Reply/" + CP
ERROR = "ocpp/cp/Error/" + CP
GATEWAY_ERROR = "ocpp/cp/GatewayError/" + CP
STATUS = "ocpp/cp/Status/" + CP


@pytest.fixture
def broker(tmp_path):
    with Mosquitto(tmp_path) as running:
        yield running


def command(unique_id, action="Reset", payload=None):
    return {
        "MessageTypeId": 2,
        "UniqueId": unique_id,
        "Action": action,
        "Payload": {"type": "Soft"} if payload is None else payload,
    }


async def connected(gw, service, cls=AnsweringChargePoint, identity=CP):
    websocket, cp, reader = await charge_point(gw.url(identity), cls=cls)
    await service.expect_on("ocpp/cp/Status/" + identity, status="online")
    return websocket, cp, reader


# ------------------------------------------------------------ a silent service


def test_a_cp_call_no_service_answers_gets_internal_error_and_the_services_hear_it(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker, call_timeout=0.3) as gw:
            _, cp, _ = await connected(gw, service)
            started = asyncio.get_running_loop().time()
            with pytest.raises(errors.InternalError) as refused:
                await cp.call(call.Authorize(id_tag="TAG"), suppress=False)
            assert 0.25 < asyncio.get_running_loop().time() - started < 3
            assert "no answer" in refused.value.description
            up = await service.expect_on(UP + "Authorize")
            notice = await service.expect_on(GATEWAY_ERROR, UniqueId=up["UniqueId"])
            assert notice["ErrorDetails"]["reason"] == "unanswered"
            # a late answer is refused, not sent
            service.publish(
                DOWN + "Reply/Authorize",
                {
                    "MessageTypeId": 3,
                    "UniqueId": up["UniqueId"],
                    "Payload": {"idTagInfo": {"status": "Accepted"}},
                },
            )
            late = await service.expect(
                lambda t, v: (
                    t == GATEWAY_ERROR
                    and v.get("UniqueId") == up["UniqueId"]
                    and v["ErrorDetails"]["reason"] != "unanswered"
                )
            )
            assert late[1]["ErrorDetails"]["reason"] == "late"

    run(scenario())


def test_a_configured_fallback_answers_a_cp_call_no_service_answers(broker):
    async def scenario():
        async with (
            Service(broker) as service,
            gateway(broker, call_timeout=0.2, fallback_answers={"Heartbeat": True}) as gw,
        ):
            _, cp, _ = await connected(gw, service)
            response = await cp.call(call.Heartbeat(), suppress=False)
            assert response.current_time.endswith("Z")

    run(scenario())


# ------------------------------------------------------------ a silent charge point


class SilentChargePoint(ChargePoint):
    role = "ChargePoint"

    @on("Reset")
    async def reset(self, **fields):
        await asyncio.sleep(3600)


def test_a_service_call_the_cp_never_answers_times_out_back_to_the_service(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker, command_timeout=0.3) as gw:
            await connected(gw, service, cls=SilentChargePoint)
            service.publish(DOWN + "Call/Reset", command("t-1"))
            notice = await service.expect_on(GATEWAY_ERROR, UniqueId="t-1")
            assert notice["ErrorDetails"]["reason"] == "timeout"
            assert notice["Action"] == "Reset"

    run(scenario())


# ------------------------------------------------------------ one at a time, bounded


class HoldingChargePoint(ChargePoint):
    """Answers Reset only when the test releases it; records the order."""

    role = "ChargePoint"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []
        self.release = asyncio.Event()

    @on("Reset")
    async def reset(self, type, **fields):
        self.seen.append(type)
        await self.release.wait()
        self.release.clear()
        return call_result_reset()


def call_result_reset():
    from ocpp16 import call_result

    return call_result.Reset(status="Accepted")


def test_service_calls_to_one_cp_go_one_at_a_time_and_the_queue_is_bounded(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker, command_queue_limit=2) as gw:
            _, cp, _ = await connected(gw, service, cls=HoldingChargePoint)
            for index in range(4):
                service.publish(
                    DOWN + "Call/Reset",
                    command("q-%d" % index, payload={"type": "Hard" if index else "Soft"}),
                )
            # q-0 outstanding, q-1 and q-2 queued, q-3 refused
            full = await service.expect_on(GATEWAY_ERROR, UniqueId="q-3")
            assert full["ErrorDetails"]["reason"] == "queue-full"
            await wait_for(lambda: len(cp.seen) == 1)
            await asyncio.sleep(0.2)
            assert len(cp.seen) == 1  # the second waits for the first answer
            for index in range(3):
                cp.release.set()
                reply = await service.expect_on(REPLY, UniqueId="q-%d" % index)
                assert reply["Action"] == "Reset"
                assert reply["Payload"] == {"status": "Accepted"}
            assert len(cp.seen) == 3

    run(scenario())


# ------------------------------------------------------------ CALLERRORs both ways


class RefusingChargePoint(ChargePoint):
    role = "ChargePoint"

    @on("Reset")
    async def reset(self, **fields):
        raise errors.NotSupportedError("no resets here", {"hint": "power cycle"})


def test_callerrors_travel_both_ways_with_their_details(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker) as gw:
            _, cp, _ = await connected(gw, service, cls=RefusingChargePoint)
            service.publish(DOWN + "Call/Reset", command("e-1"))
            error = await service.expect_on(ERROR, UniqueId="e-1")
            assert error["Action"] == "Reset"
            assert error["ErrorCode"] == "NotSupported"
            assert error["ErrorDescription"] == "no resets here"
            assert error["ErrorDetails"] == {"hint": "power cycle"}
            # and a service's CALLERROR reaches the charge point whole
            task = asyncio.ensure_future(cp.call(call.Authorize(id_tag="T"), suppress=False))
            up = await service.expect_on(UP + "Authorize")
            service.publish(
                DOWN + "Reply/Authorize",
                {
                    "MessageTypeId": 4,
                    "UniqueId": up["UniqueId"],
                    "ErrorCode": "SecurityError",
                    "ErrorDescription": "tag blocked",
                    "ErrorDetails": {"list": "black"},
                },
            )
            with pytest.raises(errors.SecurityError) as refused:
                await task
            assert refused.value.description == "tag blocked"
            assert refused.value.details == {"list": "black"}

    run(scenario())


# ------------------------------------------------------------ a service sending garbage


GARBAGE = [
    (b"\xff", "malformed", "(message)", "UTF-8"),
    (b"not json", "malformed", "(message)", "JSON"),
    (b'[2, "x", "Reset", {}]', "malformed", "(message)", "type object"),
    (
        b'{"MessageTypeId": 2, "UniqueId": "g", "Action": "Reset"}',
        "malformed",
        "Payload",
        "required",
    ),
    (
        b'{"MessageTypeId": 2, "UniqueId": "g", "Action": "Rset", "Payload": {}}',
        "invalid",
        "Action",
        "enum (OCPP 1.6 actions)",
    ),
    (
        b'{"MessageTypeId": 2, "UniqueId": "g", "Action": "Heartbeat", "Payload": {}}',
        "invalid",
        "Action",
        "initiated by the central system",
    ),
    (
        b'{"MessageTypeId": 2, "UniqueId": "g", "Action": "Reset", "Payload": {"type": "Later"}}',
        "invalid",
        "Payload.type",
        "enum",
    ),
    (
        b'{"MessageTypeId": 2, "UniqueId": "g", "Action": "Reset", "Payload": {}}',
        "invalid",
        "Payload.type",
        "required",
    ),
    (
        b'{"MessageTypeId": 2, "UniqueId": "g", "Action": "ChangeConfiguration",'
        b' "Payload": {"key": "' + b"k" * 51 + b'", "value": "1"}}',
        "invalid",
        "Payload.key",
        "maxLength 50",
    ),
    (b'{"MessageTypeId": 3, "UniqueId": "nobody", "Payload": {}}', "unknown-call", None, None),
]


def test_a_service_sending_garbage_gets_errors_naming_field_and_rule_and_nothing_breaks(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker) as gw:
            _, cp, _ = await connected(gw, service)
            for raw, reason, field, rule in GARBAGE:
                before = len(service.on(GATEWAY_ERROR))
                service.publish(DOWN + "Call/X", raw)
                await wait_for(lambda before=before: len(service.on(GATEWAY_ERROR)) > before)
                notice = service.on(GATEWAY_ERROR)[-1]
                assert notice["MessageTypeId"] == 4
                details = notice["ErrorDetails"]
                assert details["reason"] == reason, (raw, notice)
                if field is not None:
                    assert details["field"] == field, (raw, notice)
                    assert details["rule"].startswith(rule), (raw, notice)
                    assert field in notice["ErrorDescription"]
            # an answer that breaks the schema is refused and the CALL
            # waits on for a valid one
            task = asyncio.ensure_future(cp.call(call.Heartbeat(), suppress=False))
            up = await service.expect_on(UP + "Heartbeat")
            service.publish(
                DOWN + "Reply/Heartbeat",
                {"MessageTypeId": 3, "UniqueId": up["UniqueId"], "Payload": {"currentTime": 5}},
            )
            notice = await service.expect_on(GATEWAY_ERROR, UniqueId=up["UniqueId"])
            assert notice["ErrorDetails"]["field"] == "Payload.currentTime"
            assert not task.done()
            service.publish(
                DOWN + "Reply/Heartbeat",
                {
                    "MessageTypeId": 3,
                    "UniqueId": up["UniqueId"],
                    "Action": "Authorize",
                    "Payload": {},
                },
            )
            await service.expect(
                lambda t, v: t == GATEWAY_ERROR and v["ErrorDetails"].get("field") == "Action"
            )
            service.publish(
                DOWN + "Reply/Heartbeat",
                {
                    "MessageTypeId": 3,
                    "UniqueId": up["UniqueId"],
                    "Payload": {"currentTime": "2026-01-01T00:00:00Z"},
                },
            )
            assert (await task).current_time == "2026-01-01T00:00:00Z"
            # still serving
            service.publish(DOWN + "Call/Reset", command("after-garbage"))
            await service.expect_on(REPLY, UniqueId="after-garbage")

    run(scenario())


# ------------------------------------------------------------ duplicates (QoS 1)


def test_a_command_delivered_twice_reaches_the_cp_once(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker) as gw:
            _, cp, _ = await connected(gw, service, cls=HoldingChargePoint)
            service.publish(DOWN + "Call/Reset", command("d-1"))
            service.publish(DOWN + "Call/Reset", command("d-1"))
            await wait_for(lambda: len(cp.seen) == 1)
            cp.release.set()
            await service.expect_on(REPLY, UniqueId="d-1")
            await asyncio.sleep(0.2)
            assert len(cp.seen) == 1
            assert len([v for v in service.on(REPLY) if v["UniqueId"] == "d-1"]) == 1

    run(scenario())


# ------------------------------------------------------------ offline charge points


def test_a_command_for_an_offline_cp_is_answered_at_once(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker) as gw:
            websocket, _, reader = await connected(gw, service)
            await websocket.close()
            await reader
            status = await service.expect_on(STATUS, status="offline")
            assert status["gateway"] == gw.gateway_id
            service.publish(DOWN + "Call/Reset", command("o-1"))
            notice = await service.expect_on(GATEWAY_ERROR, UniqueId="o-1")
            assert notice["ErrorDetails"]["reason"] == "offline"

    run(scenario())


def test_commands_for_an_offline_cp_are_kept_up_to_a_ttl(broker):
    async def scenario():
        async with (
            Service(broker) as service,
            gateway(broker, offline="keep", offline_ttl=1.0) as gw,
        ):
            # both were seen once and left
            for identity in (CP, "CP-LATE"):
                websocket, _, reader = await connected(gw, service, identity=identity)
                await websocket.close()
                await reader
                await service.expect_on("ocpp/cp/Status/" + identity, status="offline")
            await asyncio.sleep(0.1)
            service.publish(DOWN + "Call/Reset", command("k-1"))
            service.publish("ocpp/CP-LATE/Call/Reset", command("k-2"))
            await asyncio.sleep(0.2)
            _, cp, _ = await connected(gw, service)
            reply = await service.expect_on(REPLY, UniqueId="k-1")
            assert reply["Payload"] == {"status": "Accepted"}
            expired = await service.expect_on("ocpp/cp/GatewayError/CP-LATE", UniqueId="k-2")
            assert expired["ErrorDetails"]["reason"] == "expired"

    run(scenario())


# ------------------------------------------------------------ identities and topics


def test_identities_the_topics_cannot_carry_are_refused_at_the_handshake(broker):
    async def scenario():
        async with Service(broker) as service, gateway(broker) as gw:
            for identity in ("cp", "a+b"):
                with pytest.raises(InvalidStatus):
                    await charge_point(gw.url(identity))
            await connected(gw, service, identity="CP-OK")

    run(scenario())


# ------------------------------------------------------------ the broker away


def test_with_the_broker_gone_a_cp_call_is_answered_at_once_not_queued_forever(tmp_path):
    async def scenario():
        broker = Mosquitto(tmp_path).start()
        try:
            async with gateway(broker, call_timeout=10, fallback_answers={"Heartbeat": True}) as gw:
                gw.mqtt.max_backlog = 0
                _, cp, _ = await charge_point(gw.url(CP))
                await wait_for(lambda: CP in gw.charge_points)
                broker.stop()
                await wait_for(lambda: not gw.mqtt.connected)
                started = asyncio.get_running_loop().time()
                response = await cp.call(call.Heartbeat(), suppress=False)
                assert response.current_time
                with pytest.raises(errors.InternalError):
                    await cp.call(call.Authorize(id_tag="T"), suppress=False)
                assert asyncio.get_running_loop().time() - started < 2
        finally:
            broker.stop()

    run(scenario())
