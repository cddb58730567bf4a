"""Only a CALLERROR (message type 4) of exactly five elements settles our
outstanding CALL as a CallError (OCPP-J 4.1.3, 4.2.3). Issue 13 item 15:
a parser taking `[5, id, "GenericError", "x", {}]` for a CALLERROR got
through the suite."""

from scenario_support import heartbeat_request, kinds, pair, result_text, sent

HEARTBEAT_RESULT = {"currentTime": "2024-01-01T00:00:00Z"}


def _not_settling(frame_text):
    cp, cs = pair()
    unique_id = cp.send_call(heartbeat_request(), 0)
    sent(cp)
    events = cp.receive_text(frame_text % unique_id, 1)
    assert kinds(events) == ["FrameRejected"], kinds(events)
    assert cp.outstanding_call == unique_id
    events = cp.receive_text(result_text(unique_id, HEARTBEAT_RESULT), 2)
    assert kinds(events) == ["ResultReceived"]
    return events


def test_message_type_5_shaped_like_a_call_error_is_refused():
    _not_settling('[5,"%s","GenericError","x",{}]')


def test_other_unknown_message_types_shaped_like_a_call_error_are_refused():
    for message_type in ("0", "1", "6", "14", "40", "-4", "4.0", '"4"'):
        _not_settling("[" + message_type + ',"%s","GenericError","x",{}]')


def test_a_call_error_with_a_sixth_element_is_an_unusable_answer_not_a_call_error():
    cp, cs = pair()
    unique_id = cp.send_call(heartbeat_request(), 0)
    sent(cp)
    events = cp.receive_text('[4,"%s","GenericError","x",{},{}]' % unique_id, 1)
    assert kinds(events) == ["ResultRejected"]
    assert events[0].error.code == "FormationViolation"


def test_a_type_5_frame_is_answered_formation_violation():
    cp, cs = pair()
    cp.send_call(heartbeat_request(), 0)
    sent(cp)
    events = cp.receive_text('[5,"zz-9","GenericError","x",{}]', 1)
    assert events[0].error.code == "FormationViolation"
    assert sent(cp) == [[4, "zz-9", "FormationViolation", "unknown message type id 5", {}]]
