"""Unique ids (OCPP-J 4.1.4): duplicate incoming ids, our own id choices,
answering what we owe exactly once, and the bound on unanswered CALLs."""

from ocppj import errors
from scenario_support import (
    NOW,
    call_text,
    central_system,
    charge_point,
    heartbeat_request,
    heartbeat_response,
    is_well_formed_call_error,
    kinds,
    only,
    raises,
    sent,
)

HEARTBEAT = call_text("dup", "Heartbeat", {})


def test_duplicate_in_flight_id_is_refused_and_not_processed_twice():
    session = central_system()
    first = only(session.receive_text(HEARTBEAT, NOW), "CallReceived")
    event = only(session.receive_text(HEARTBEAT, NOW), "FrameRejected")
    assert event.error.code == "GenericError"
    assert "4.1.4" in event.error.description
    assert event.answered and event.answer_id == "dup"
    frames = sent(session)
    assert len(frames) == 1 and is_well_formed_call_error(frames[0])
    assert frames[0][1] == "dup" and frames[0][2] == "GenericError"
    # the first CALL is still ours to answer, once
    assert session.unanswered_calls == ["dup"]
    session.send_result(first.unique_id, heartbeat_response())
    frames = sent(session)
    assert [frame[0] for frame in frames] == [3]
    assert session.unanswered_calls == []


def test_duplicate_with_another_action_is_refused_too():
    session = central_system()
    session.receive_text(HEARTBEAT, NOW)
    text = call_text("dup", "Authorize", {"idTag": "T"})
    event = only(session.receive_text(text, NOW), "FrameRejected")
    assert event.error.code == "GenericError"


def test_id_is_free_again_once_answered():
    # Only ids in flight are tracked: remembering every id ever seen would
    # need unbounded memory.
    session = central_system()
    first = only(session.receive_text(HEARTBEAT, NOW))
    session.send_result(first.unique_id, heartbeat_response())
    assert kinds(session.receive_text(HEARTBEAT, NOW)) == ["CallReceived"]


def test_unanswered_calls_are_bounded():
    session = central_system(incoming_limit=2)
    session.receive_text(call_text("a", "Heartbeat", {}), NOW)
    session.receive_text(call_text("b", "Heartbeat", {}), NOW)
    event = only(session.receive_text(call_text("c", "Heartbeat", {}), NOW), "FrameRejected")
    assert event.error.code == "GenericError"
    assert event.answer_id == "c"
    session.send_result("a", heartbeat_response())
    assert kinds(session.receive_text(call_text("c", "Heartbeat", {}), NOW)) == ["CallReceived"]


def test_answering_twice_or_an_unknown_call_is_a_usage_error():
    session = central_system()
    session.receive_text(HEARTBEAT, NOW)
    session.send_result("dup", heartbeat_response())
    raises(errors.NoSuchCallError, session.send_result, "dup", heartbeat_response())
    raises(errors.NoSuchCallError, session.send_error, "dup", errors.GenericError())
    raises(errors.NoSuchCallError, session.send_result, "never", heartbeat_response())


def test_refused_calls_are_not_owed_an_answer():
    session = central_system()
    session.receive_text(call_text("r", "NoSuchAction", {}), NOW)
    raises(errors.NoSuchCallError, session.send_error, "r", errors.GenericError())


def test_caller_chosen_id_must_be_valid_and_unused():
    session = charge_point()
    assert session.send_call(heartbeat_request(), NOW, unique_id="mine") == "mine"
    raises(
        errors.InvalidUniqueIdError,
        session.send_call,
        heartbeat_request(),
        NOW,
        unique_id="mine",
    )
    session.send_call(heartbeat_request(), NOW, unique_id="queued")
    raises(
        errors.InvalidUniqueIdError,
        session.send_call,
        heartbeat_request(),
        NOW,
        unique_id="queued",
    )
    raises(
        errors.InvalidUniqueIdError,
        session.send_call,
        heartbeat_request(),
        NOW,
        unique_id="z" * 37,
    )
    raises(
        errors.InvalidUniqueIdError,
        session.send_call,
        heartbeat_request(),
        NOW,
        unique_id=12,
    )
    assert session.queued_calls == ["queued"]


def test_generated_ids_skip_ids_in_use():
    ids = ["a", "a", "b"]

    def factory():
        return ids.pop(0)

    import fake_protocol
    from ocppj.session import Session

    session = Session(fake_protocol, "ChargePoint", id_factory=factory)
    assert session.send_call(heartbeat_request(), NOW) == "a"
    assert session.send_call(heartbeat_request(), NOW) == "b"


def test_send_error_checks_what_it_sends():
    session = central_system()
    session.receive_text(HEARTBEAT, NOW)
    raises(errors.UsageError, session.send_error, "dup", ValueError("x"))
    raises(errors.UsageError, session.send_error, "dup", errors.OCPPError("x", code="Custom"))
    raises(
        errors.UsageError,
        session.send_error,
        "dup",
        errors.GenericError("x", ["not", "a", "dict"]),
    )
    assert session.unanswered_calls == ["dup"]
    session.send_error("dup", errors.NotSupportedError("nope", {"a": 1}))
    assert sent(session) == [[4, "dup", "NotSupported", "nope", {"a": 1}]]
