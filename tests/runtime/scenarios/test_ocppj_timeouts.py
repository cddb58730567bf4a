"""One outstanding CALL (OCPP-J 4.1.1), the bounded queue behind it, and
timeouts on a fake clock: ``now`` is always passed explicitly."""

from ocppj import errors
from scenario_support import (
    authorize_request,
    boot_request,
    heartbeat_request,
    heartbeat_response,
    kinds,
    only,
    pair,
    raises,
    result_text,
    sent,
)

HEARTBEAT_RESULT = {"currentTime": "2024-01-01T00:00:00Z"}


def test_no_deadline_without_calls():
    cp, cs = pair()
    assert cp.next_deadline() is None
    assert cp.handle_timer(1e9) == []


def test_deadline_is_submit_time_plus_timeout():
    cp, cs = pair(response_timeout=30)
    cp.send_call(heartbeat_request(), 100)
    assert cp.next_deadline() == 130
    assert cp.handle_timer(129.999) == []
    event = only(cp.handle_timer(130), "CallTimedOut")
    assert event.action == "Heartbeat" and event.sent and event.timeout == 30
    assert cp.next_deadline() is None
    assert cp.outstanding_call is None


def test_per_call_timeout_overrides_the_default():
    cp, cs = pair(response_timeout=30)
    cp.send_call(heartbeat_request(), 0, timeout=5)
    assert cp.next_deadline() == 5


def test_second_call_waits_until_first_is_answered():
    cp, cs = pair()
    first = cp.send_call(heartbeat_request(), 0)
    second = cp.send_call(authorize_request(), 0)
    assert [frame[1] for frame in sent(cp)] == [first]
    assert cp.queued_calls == [second]
    cp.receive_text(result_text(first, HEARTBEAT_RESULT), 1)
    assert [frame[1] for frame in sent(cp)] == [second]
    assert cp.outstanding_call == second and cp.queued_calls == []


def test_queued_time_counts_toward_the_timeout():
    cp, cs = pair(response_timeout=30)
    a = cp.send_call(heartbeat_request(), 0)
    b = cp.send_call(heartbeat_request(), 10)
    c = cp.send_call(heartbeat_request(), 20)
    cp.data_to_send()
    assert cp.next_deadline() == 30
    cp.receive_text(result_text(a, HEARTBEAT_RESULT), 25)
    assert [frame[1] for frame in sent(cp)] == [b]
    # b was submitted at 10: it times out at 40 although sent at 25
    assert cp.next_deadline() == 40
    event = only(cp.handle_timer(40), "CallTimedOut")
    assert event.unique_id == b and event.sent
    assert [frame[1] for frame in sent(cp)] == [c]
    assert cp.next_deadline() == 50


def test_queued_call_that_expires_is_never_sent():
    cp, cs = pair(response_timeout=30)
    a = cp.send_call(heartbeat_request(), 0)
    b = cp.send_call(heartbeat_request(), 1, timeout=5)
    cp.data_to_send()
    assert cp.next_deadline() == 6
    event = only(cp.handle_timer(6), "CallTimedOut")
    assert event.unique_id == b and not event.sent
    assert cp.data_to_send() == []
    assert cp.outstanding_call == a and cp.queued_calls == []
    # its answer, should one come, is unmatched
    event = only(cp.receive_text(result_text(b, HEARTBEAT_RESULT), 7))
    assert event.kind == "UnmatchedResponse"


def test_outstanding_and_queued_expire_together_in_order():
    cp, cs = pair(response_timeout=10)
    a = cp.send_call(heartbeat_request(), 0)
    b = cp.send_call(heartbeat_request(), 0)
    c = cp.send_call(heartbeat_request(), 5)
    cp.data_to_send()
    timed_out = cp.handle_timer(12)
    assert [(event.unique_id, event.sent) for event in timed_out] == [
        (a, True),
        (b, False),
    ]
    assert [frame[1] for frame in sent(cp)] == [c]


def test_response_at_the_deadline_is_late():
    # Timers run before the frame: the call timed out when its interval
    # elapsed, even if the pump has not called handle_timer yet.
    cp, cs = pair(response_timeout=10)
    a = cp.send_call(heartbeat_request(), 0)
    cp.data_to_send()
    events = cp.receive_text(result_text(a, HEARTBEAT_RESULT), 10)
    assert kinds(events) == ["CallTimedOut", "UnmatchedResponse"]
    assert events[1].reason == "late"


def test_response_just_before_the_deadline_matches():
    cp, cs = pair(response_timeout=10)
    a = cp.send_call(heartbeat_request(), 0)
    cp.data_to_send()
    assert kinds(cp.receive_text(result_text(a, HEARTBEAT_RESULT), 9.5)) == ["ResultReceived"]


def test_queue_is_bounded():
    cp, cs = pair(queue_limit=2)
    cp.send_call(heartbeat_request(), 0)
    cp.send_call(heartbeat_request(), 0)
    cp.send_call(heartbeat_request(), 0)
    raises(errors.QueueFullError, cp.send_call, heartbeat_request(), 0)
    assert len(cp.queued_calls) == 2
    assert len(cp.data_to_send()) == 1


def test_queue_limit_zero_refuses_a_second_call():
    cp, cs = pair(queue_limit=0)
    cp.send_call(heartbeat_request(), 0)
    raises(errors.QueueFullError, cp.send_call, heartbeat_request(), 0)


def test_queue_frees_up_after_answers():
    cp, cs = pair(queue_limit=1)
    a = cp.send_call(heartbeat_request(), 0)
    b = cp.send_call(heartbeat_request(), 0)
    cp.data_to_send()
    cp.receive_text(result_text(a, HEARTBEAT_RESULT), 1)
    c = cp.send_call(heartbeat_request(), 1)
    assert cp.outstanding_call == b and cp.queued_calls == [c]


def test_close_cancels_outstanding_and_queued_calls():
    cp, cs = pair()
    a = cp.send_call(heartbeat_request(), 0)
    b = cp.send_call(boot_request(), 0)
    events = cp.close()
    assert [(event.kind, event.unique_id, event.sent) for event in events] == [
        ("CallCancelled", a, True),
        ("CallCancelled", b, False),
    ]
    assert cp.closed
    assert cp.close() == []
    assert cp.next_deadline() is None
    assert cp.handle_timer(1e9) == []


def test_using_a_closed_connection_is_a_usage_error():
    cp, cs = pair()
    cp.close()
    raises(errors.SessionClosedError, cp.send_call, heartbeat_request(), 0)
    raises(errors.SessionClosedError, cp.receive_text, "[]", 0)
    raises(errors.SessionClosedError, cp.send_result, "x", heartbeat_response())
    raises(errors.SessionClosedError, cp.send_error, "x", errors.GenericError())


def test_frames_queued_before_close_can_still_be_drained():
    cp, cs = pair()
    cp.send_call(heartbeat_request(), 0)
    cp.close()
    assert len(cp.data_to_send()) == 1


def test_default_ids_are_unique_short_strings():
    import fake_protocol
    from ocppj.session import Session

    session = Session(fake_protocol, "ChargePoint", queue_limit=200)
    ids = [session.send_call(heartbeat_request(), 0) for _ in range(150)]
    assert len(ids) == len(set(ids))
    for unique_id in ids:
        assert type(unique_id) is str and 0 < len(unique_id) <= 36
