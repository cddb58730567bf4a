"""@on / @after routing, handler outcomes turned into answers, generated
handler tables with stubs, and the sync ChargePoint facade."""

try:
    import ujson as json
except ImportError:
    import json

import fake_protocol as P
from ocppj import errors
from ocppj.charge_point import ChargePoint, PayloadNamespace, infer_role
from ocppj.routing import Router, after, on
from ocppj.session import Session
from scenario_support import (
    NOW,
    authorize_response,
    boot_response,
    call_text,
    error_text,
    heartbeat_response,
    is_well_formed_call_error,
    loads_all,
    only,
    raises,
    result_text,
)

BOOT = call_text("b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
AUTHORIZE = call_text("a1", "Authorize", {"idTag": "T1"})


class Wire:
    """Sync transport stand-in: records what the facade sends, and when."""

    def __init__(self, log=None):
        self.sent = []
        self.log = log if log is not None else []

    def send(self, text):
        self.sent.append(text)
        self.log.append(("send", json.loads(text)))

    def frames(self):
        frames = loads_all(self.sent)
        self.sent = []
        return frames


class CentralSystemSide(ChargePoint):
    protocol = P

    def __init__(self, *args, **kwargs):
        self.seen = []
        super().__init__(*args, **kwargs)

    @on("BootNotification")
    def boot(self, charge_point_vendor, charge_point_model, **kwargs):
        self.seen.append(("boot", charge_point_vendor, charge_point_model, kwargs))
        return boot_response()

    @after("BootNotification")
    def after_boot(self, charge_point_vendor, **kwargs):
        self._connection.log.append(("after", charge_point_vendor))

    @on("Authorize", call_unique_id_required=True)
    def authorize(self, id_tag, call_unique_id):
        self.seen.append(("authorize", id_tag, call_unique_id))
        if id_tag == "BAD":
            raise errors.SecurityError("tag blocked", {"tag": id_tag})
        if id_tag == "CRASH":
            raise ValueError("database password is hunter2")
        if id_tag == "WRONG":
            return heartbeat_response()
        if id_tag == "NONE":
            return None
        if id_tag == "INVALID":
            return P.AuthorizeResponse(id_tag_info=P.IdTagInfo(status="Maybe"))
        if id_tag == "ODDERROR":
            raise errors.OCPPError("custom", code="NotInTable")
        return authorize_response()

    @after("Authorize", call_unique_id_required=True)
    def after_authorize(self, id_tag, call_unique_id):
        self._connection.log.append(("after-authorize", id_tag, call_unique_id))


def _cs():
    wire = Wire()
    return CentralSystemSide("CP-1", wire), wire


def test_on_handler_gets_snake_case_kwargs_and_answers():
    cs, wire = _cs()
    cs.route_message(BOOT, NOW)
    assert cs.seen == [("boot", "V", "M", {})]
    frame = only(wire.frames())
    assert frame[0] == 3 and frame[1] == "b1"
    assert frame[2]["status"] == "Accepted"


def test_optional_fields_come_only_when_present():
    cs, wire = _cs()
    text = call_text(
        "b2",
        "BootNotification",
        {"chargePointVendor": "V", "chargePointModel": "M", "firmwareVersion": "1.0"},
    )
    cs.route_message(text, NOW)
    assert cs.seen == [("boot", "V", "M", {"firmware_version": "1.0"})]


def test_after_runs_once_the_answer_was_handed_to_the_transport():
    cs, wire = _cs()
    cs.route_message(BOOT, NOW)
    assert [entry[0] for entry in wire.log] == ["send", "after"]
    assert wire.log[1] == ("after", "V")


def test_call_unique_id_is_passed_when_asked():
    cs, wire = _cs()
    cs.route_message(AUTHORIZE, NOW)
    assert cs.seen == [("authorize", "T1", "a1")]
    assert wire.log[-1] == ("after-authorize", "T1", "a1")


def test_ocpp_error_from_handler_becomes_that_call_error():
    cs, wire = _cs()
    cs.route_message(call_text("e1", "Authorize", {"idTag": "BAD"}), NOW)
    assert wire.frames() == [[4, "e1", "SecurityError", "tag blocked", {"tag": "BAD"}]]
    # no @after after an error
    assert [entry[0] for entry in wire.log] == ["send"]


def test_other_exception_becomes_internal_error_without_leaking():
    cs, wire = _cs()
    cs.route_message(call_text("e2", "Authorize", {"idTag": "CRASH"}), NOW)
    frame = only(wire.frames())
    assert frame[2] == "InternalError"
    assert "hunter2" not in json.dumps(frame)
    assert frame[4] == {}


def test_wrong_return_types_become_internal_error():
    for tag in ("WRONG", "NONE", "INVALID", "ODDERROR"):
        cs, wire = _cs()
        cs.route_message(call_text("w", "Authorize", {"idTag": tag}), NOW)
        frame = only(wire.frames())
        assert is_well_formed_call_error(frame), (tag, frame)
        assert frame[2] == "InternalError", (tag, frame)


def test_action_without_handler_is_not_supported():
    cs, wire = _cs()
    cs.route_message(call_text("h1", "Heartbeat", {}), NOW)
    assert only(wire.frames())[:3] == [4, "h1", "NotSupported"]


def test_unknown_action_is_not_implemented():
    cs, wire = _cs()
    cs.route_message(call_text("u1", "MakeCoffee", {}), NOW)
    assert only(wire.frames())[:3] == [4, "u1", "NotImplemented"]


class PlainHandlers:
    """Router works on any object, not only ChargePoint subclasses."""

    @on("Authorize", call_unique_id_required=True)
    def authorize(self, id_tag, call_unique_id):
        return authorize_response()

    @after("Authorize", call_unique_id_required=True)
    def after_authorize(self, id_tag, call_unique_id):
        pass


def test_router_prepares_handler_and_afters_and_the_session_answers():
    session = Session(P, "CentralSystem")
    router = Router(PlainHandlers(), P)
    event = only(session.receive_text(AUTHORIZE, NOW))
    function, kwargs, afters = router.prepare(event)
    assert kwargs == {"id_tag": "T1", "call_unique_id": "a1"}
    crash = RuntimeError("boom")
    assert session.answer(event.unique_id, exception=crash) == ("error", crash)
    event = only(session.receive_text(call_text("a2", "Authorize", {"idTag": "T2"}), NOW))
    function, kwargs, afters = router.prepare(event)
    assert session.answer(event.unique_id, function(**kwargs)) == ("result", None)
    assert len(afters) == 1
    after_function, after_kwargs = afters[0]
    assert after_kwargs == {"id_tag": "T2", "call_unique_id": "a2"}
    assert after_function(**after_kwargs) is None
    frames = loads_all(session.data_to_send())
    assert [frame[0] for frame in frames] == [4, 3]
    assert frames[0][2] == "InternalError" and "boom" not in frames[0][3]


def test_prepare_never_raises_and_no_handler_raises_not_supported():
    session = Session(P, "CentralSystem")
    router = Router(PlainHandlers(), P)
    event = only(session.receive_text(call_text("h", "Heartbeat", {}), NOW))
    function, kwargs, afters = router.prepare(event)
    assert afters == ()
    exc = raises(errors.NotSupportedError, function, **kwargs)
    assert session.answer(event.unique_id, exception=exc) == ("error", None)
    assert loads_all(session.data_to_send())[0][2] == "NotSupported"


def test_session_answer_falls_back_to_internal_error_and_never_raises():
    session = Session(P, "CentralSystem")
    event = only(session.receive_text(AUTHORIZE, NOW))
    # a response of the wrong action: InternalError, and the refusal is the problem
    answer, problem = session.answer(event.unique_id, heartbeat_response())
    assert answer == "error" and isinstance(problem, errors.PayloadTypeError)
    # an OCPPError that cannot go on the wire: InternalError instead
    event = only(session.receive_text(call_text("a2", "Authorize", {"idTag": "T2"}), NOW))
    bad = errors.GenericError("x", details=["not", "a", "dict"])
    answer, problem = session.answer(event.unique_id, exception=bad)
    assert answer == "error" and isinstance(problem, errors.UsageError)
    # not owed (answered already): nothing sent, the refusal is the problem
    answer, problem = session.answer(event.unique_id, authorize_response())
    assert answer is None and isinstance(problem, errors.NoSuchCallError)
    frames = loads_all(session.data_to_send())
    assert [frame[2] for frame in frames] == ["InternalError", "InternalError"]


class Generated:
    """Shape of a generated handler class: a table and stubs."""

    OCPP_HANDLERS = {
        "Authorize": "on_authorize",
        "BootNotification": "on_boot_notification",
        "Heartbeat": "on_heartbeat",
    }

    def on_authorize(self, id_tag, **kwargs):
        raise errors.NotSupportedError()

    def on_boot_notification(self, **kwargs):
        raise errors.NotSupportedError()


class _Stub:
    # MicroPython functions take no attributes; any object can be a stub.
    ocpp_stub = True


Generated.on_heartbeat = _Stub()
try:
    Generated.on_authorize.ocpp_stub = True
    Generated.on_boot_notification.ocpp_stub = True
except AttributeError:
    Generated.on_authorize = _Stub()
    Generated.on_boot_notification = _Stub()


class FromTable(Generated, ChargePoint):
    protocol = P

    def on_boot_notification(self, charge_point_vendor, **kwargs):
        return boot_response("Pending")


def test_overridden_table_method_is_routed_and_stubs_are_not():
    wire = Wire()
    cs = FromTable("CP-2", wire)
    cs.route_message(BOOT, NOW)
    cs.route_message(AUTHORIZE, NOW)
    cs.route_message(call_text("h", "Heartbeat", {}), NOW)
    frames = wire.frames()
    assert frames[0][0] == 3 and frames[0][2]["status"] == "Pending"
    assert frames[1][:3] == [4, "a1", "NotSupported"]
    assert frames[2][:3] == [4, "h", "NotSupported"]
    assert cs._router.actions() == ["BootNotification"]


class DecoratedOverride(Generated, ChargePoint):
    protocol = P

    @on("BootNotification", skip_schema_validation=True)
    def on_boot_notification(self, **kwargs):
        return boot_response("Rejected")


def test_decorated_override_of_a_table_method_is_one_handler():
    cs = DecoratedOverride("CP-3", Wire())
    assert cs._router.actions() == ["BootNotification"]
    assert cs._router.skipped_actions() == ["BootNotification"]


def test_two_handlers_for_one_action_is_a_usage_error():
    class Twice(ChargePoint):
        protocol = P

        @on("Heartbeat")
        def one(self):
            return heartbeat_response()

        @on("Heartbeat")
        def two(self):
            return heartbeat_response()

    raises(errors.UsageError, Twice, "CP", Wire())


def test_table_override_and_another_decorated_handler_conflict():
    class Clash(Generated, ChargePoint):
        protocol = P

        def on_boot_notification(self, **kwargs):
            return boot_response()

        @on("BootNotification")
        def also_boot(self, **kwargs):
            return boot_response()

    raises(errors.UsageError, Clash, "CP", Wire())


def test_decorated_handlers_are_inherited():
    class Child(CentralSystemSide):
        pass

    wire = Wire()
    child = Child("CP-4", wire)
    child.route_message(BOOT, NOW)
    assert wire.frames()[0][0] == 3


def test_enum_like_actions_are_accepted():
    class Action:
        def __init__(self, value):
            self.value = value

    class ByEnum(ChargePoint):
        protocol = P

        @on(Action("Heartbeat"))
        def beat(self):
            return heartbeat_response()

    wire = Wire()
    ByEnum("CP", wire).route_message(call_text("h", "Heartbeat", {}), NOW)
    assert wire.frames()[0][0] == 3
    raises(errors.UsageError, on, 5)


class Relaxed(ChargePoint):
    protocol = P

    @on("BootNotification", skip_schema_validation=True)
    def boot(self, **kwargs):
        return P.BootNotificationResponse(
            status="Whatever", current_time="2024-01-01T00:00:00Z", interval=1
        )

    @on("Authorize")
    def authorize(self, id_tag):
        return authorize_response()


def test_skip_schema_validation_relaxes_request_and_response_of_that_route():
    wire = Wire()
    cs = Relaxed("CP-5", wire)
    cs.route_message(call_text("r", "BootNotification", {"chargePointVendor": "V" * 99}), NOW)
    # missing chargePointModel: the decoder needs it, so still refused
    assert only(wire.frames())[2] == "FormationViolation"
    payload = {"chargePointVendor": "V" * 99, "chargePointModel": "M", "x": 1}
    cs.route_message(call_text("s", "BootNotification", payload), NOW)
    frame = only(wire.frames())
    assert frame[0] == 3 and frame[2]["status"] == "Whatever"
    # other routes stay strict
    cs.route_message(call_text("t", "Authorize", {"idTag": "T" * 21}), NOW)
    assert only(wire.frames())[2] == "PropertyConstraintViolation"


def test_role_is_inferred_from_the_handlers():
    assert CentralSystemSide("x", Wire())._session.role == "CentralSystem"

    class Device(ChargePoint):
        protocol = P

        @on("Reset")
        def reset(self, type):
            return P.ResetResponse(status="Accepted")

    assert Device("x", Wire())._session.role == "ChargePoint"
    assert infer_role(P, ["DataTransfer"]) is None
    assert infer_role(P, []) is None
    assert infer_role(P, ["Reset", "BootNotification"]) is None
    assert Device("x", Wire(), role="CentralSystem")._session.role == "CentralSystem"


def test_role_is_inferred_from_a_handler_table_even_without_overrides():
    class Untouched(Generated, ChargePoint):
        protocol = P

    cs = Untouched("x", Wire())
    assert cs._router.actions() == []
    assert cs._router.declared_actions() == [
        "Authorize",
        "BootNotification",
        "Heartbeat",
    ]
    assert cs._session.role == "CentralSystem"


def test_protocol_must_come_from_somewhere():
    raises(errors.UsageError, ChargePoint, "x")
    cp = ChargePoint("x", protocol=P)
    assert cp.id == "x" and cp._ocpp_version == "1.6"


def test_payload_namespaces_resolve_both_spellings():
    cp = ChargePoint("x", protocol=P)
    assert cp._call.BootNotification is P.BootNotificationRequest
    assert cp._call.BootNotificationPayload is P.BootNotificationRequest
    assert cp._call_result.Authorize is P.AuthorizeResponse
    assert cp._call_result.AuthorizePayload is P.AuthorizeResponse
    raises(AttributeError, getattr, cp._call, "NoSuchAction")
    namespace = PayloadNamespace(P.request_class)
    assert namespace.Heartbeat is P.HeartbeatRequest


class Device(ChargePoint):
    protocol = P

    @on("Reset")
    def reset(self, type):
        return P.ResetResponse(status="Accepted")

    @after("Reset")
    def after_reset(self, type):
        # an @after hook may start a CALL of its own
        self.heartbeat_id = self._submit_call(P.HeartbeatRequest(), now=NOW)


def test_after_hook_can_send_a_call():
    wire = Wire()
    device = Device("CP-6", wire)
    device.route_message(call_text("r1", "Reset", {"type": "Soft"}), NOW)
    frames = wire.frames()
    assert [frame[0] for frame in frames] == [3, 2]
    assert frames[1][1] == device.heartbeat_id and frames[1][2] == "Heartbeat"


def test_sync_call_halves_and_outcomes():
    wire = Wire()
    device = Device("CP-7", wire)
    call_id = device._submit_call(P.HeartbeatRequest(), now=0)
    assert device.take_outcome(call_id) is None
    device.route_message(result_text(call_id, {"currentTime": "2024-01-01T00:00:00Z"}), 1)
    event = device.take_outcome(call_id)
    assert ChargePoint.outcome(event) == heartbeat_response()
    call_id = device._submit_call(P.HeartbeatRequest(), now=1)
    device.route_message(error_text(call_id, "InternalError", "x"), 2)
    event = device.take_outcome(call_id)
    assert ChargePoint.outcome(event, suppress=True) is None
    raises(errors.InternalError, ChargePoint.outcome, event, False)
    call_id = device._submit_call(P.HeartbeatRequest(), now=2)
    device.handle_timer(1000)
    timed_out = raises(errors.CallTimeoutError, ChargePoint.outcome, device.take_outcome(call_id))
    assert timed_out.unique_id == call_id and timed_out.action == "Heartbeat"
    call_id = device._submit_call(P.HeartbeatRequest(), now=1000)
    device.route_message(result_text(call_id, {}), 1001)
    rejected = device.take_outcome(call_id)
    assert rejected.kind == "ResultRejected"
    raises(errors.OccurenceConstraintViolationError, ChargePoint.outcome, rejected, True)
    call_id = device._submit_call(P.HeartbeatRequest(), now=1001)
    device.close()
    raises(errors.CallCancelledError, ChargePoint.outcome, device.take_outcome(call_id))


def test_async_handler_in_sync_pump_is_internal_error():
    class Asyncish(ChargePoint):
        protocol = P

        @on("Heartbeat")
        def beat(self):
            yield None  # a generator stands in for a coroutine here

    wire = Wire()
    Asyncish("x", wire).route_message(call_text("h", "Heartbeat", {}), NOW)
    assert only(wire.frames())[2] == "InternalError"


def test_facade_reports_rejected_and_unmatched_input_and_keeps_going():
    cs, wire = _cs()
    cs.route_message("garbage", NOW)
    cs.route_message(result_text("nobody", {}), NOW)
    cs.route_message(BOOT, NOW)
    frames = wire.frames()
    assert [frame[0] for frame in frames] == [4, 3]
