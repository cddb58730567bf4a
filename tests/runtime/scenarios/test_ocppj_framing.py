"""Every framing error, table-driven: the right CallError code (OCPP-J 1.6
table 7), the frame's id in the answer when it can be read, "-1" when not,
and no answer at all to broken responses."""

from ocppj import errors, framing, jsontext
from scenario_support import (
    NOW,
    central_system,
    is_well_formed_call_error,
    only,
    raises,
    sent,
)

FV = "FormationViolation"
PE = "ProtocolError"
ID36 = "x" * 36
ID37 = "y" * 37

# (frame text, code, answer id) -- answer id None: not answered.
CALL_SIDE_CASES = (
    # not JSON at all
    ("", FV, "-1"),
    ("   ", FV, "-1"),
    ("hello", FV, "-1"),
    ("[2,", FV, "-1"),
    ('[2,"abc","Heartbeat"', FV, "abc"),
    ('[2,"abc","Heartbeat",{}', FV, "abc"),
    ('[2, "abc", "Heartbeat", {}] trailing', FV, "abc"),
    ('[2,"abc","Heartbeat",{}][2]', FV, "abc"),
    # JSON that MicroPython's parser would wrongly accept
    ('[2,"abc","Heartbeat",{},]', FV, "abc"),
    ('[2,"abc","Heartbeat" {}]', FV, "abc"),
    ('[2 "abc" "Heartbeat" {}]', FV, "-1"),
    ('[2,"abc","DataTransfer",{"vendorId":"v",}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId" "v"}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{1:"v"}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"v","data":01}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"v","data":1.}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"v","data":.5}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"\\x"}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"\\u12"}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"a\nb"}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":\'v\'}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":tru}]', FV, "abc"),
    # JSON that CPython's parser would wrongly accept
    ('[2,"abc","DataTransfer",{"vendorId":"v","data":NaN}]', FV, "abc"),
    ('[2,"abc","DataTransfer",{"vendorId":"v","data":-Infinity}]', FV, "abc"),
    # JSON, but not an array
    ("{}", FV, "-1"),
    ('{"2":"abc"}', FV, "-1"),
    ('"[2,\\"abc\\",\\"Heartbeat\\",{}]"', FV, "-1"),
    ("42", FV, "-1"),
    ("null", FV, "-1"),
    ("true", FV, "-1"),
    # array, message type missing or wrong
    ("[]", PE, "-1"),
    ('["2","abc","Heartbeat",{}]', FV, "abc"),
    ('[2.0,"abc","Heartbeat",{}]', FV, "abc"),
    ('[true,"abc","Heartbeat",{}]', FV, "abc"),
    ('[null,"abc"]', FV, "abc"),
    ('[[2],"abc","Heartbeat",{}]', FV, "abc"),
    ('[0,"abc"]', FV, "abc"),
    ('[1,"abc","Heartbeat",{}]', FV, "abc"),
    ('[5,"abc",{}]', FV, "abc"),
    ('[-2,"abc","Heartbeat",{}]', FV, "abc"),
    ('[99999999999999999999,"abc"]', FV, "abc"),
    ("[7]", FV, "-1"),
    # CALL of the wrong length
    ("[2]", PE, "-1"),
    ('[2,"abc"]', PE, "abc"),
    ('[2,"abc","Heartbeat"]', PE, "abc"),
    ('[2,"abc","Heartbeat",{},{}]', FV, "abc"),
    ('[2,"abc","Heartbeat",{},null,1]', FV, "abc"),
    # CALL with a bad unique id
    ('[2,5,"Heartbeat",{}]', FV, "-1"),
    ('[2,null,"Heartbeat",{}]', FV, "-1"),
    ('[2,["abc"],"Heartbeat",{}]', FV, "-1"),
    ('[2,"' + ID37 + '","Heartbeat",{}]', FV, "-1"),
    # CALL with a bad action or payload
    ('[2,"abc",5,{}]', FV, "abc"),
    ('[2,"abc",null,{}]', FV, "abc"),
    ('[2,"abc",["Heartbeat"],{}]', FV, "abc"),
    ('[2,"abc","Heartbeat",[]]', FV, "abc"),
    ('[2,"abc","Heartbeat","{}"]', FV, "abc"),
    ('[2,"abc","Heartbeat",0]', FV, "abc"),
    ('[2,"abc","Heartbeat",false]', FV, "abc"),
    # actions: unknown (NotImplemented), known but not ours (NotSupported)
    ('[2,"abc","NoSuchAction",{}]', "NotImplemented", "abc"),
    ('[2,"abc","heartbeat",{}]', "NotImplemented", "abc"),
    ('[2,"abc","",{}]', "NotImplemented", "abc"),
    ('[2,"abc","Reset",{"type":"Hard"}]', "NotSupported", "abc"),
    ('[2,"abc","RemoteStartTransaction",{"idTag":"T"}]', "NotSupported", "abc"),
)

# Broken responses: reported, never answered.
RESPONSE_SIDE_CASES = (
    ("[3]", PE),
    ('[3,"zz"]', PE),
    ('[3,"zz",{},{}]', FV),
    ('[3,"zz",[]]', FV),
    ('[3,"zz","ok"]', FV),
    ("[3,5,{}]", FV),
    ('[3,"' + ID37 + '",{}]', FV),
    ("[4]", PE),
    ('[4,"zz","GenericError","d"]', PE),
    ('[4,"zz","GenericError","d",{},1]', FV),
    ('[4,"zz",5,"d",{}]', FV),
    ('[4,"zz","GenericError",null,{}]', FV),
    ('[4,"zz","GenericError","d",null]', FV),
    ('[4,"zz","GenericError","d",[]]', FV),
    ('[4,7,"GenericError","d",{}]', FV),
    ('[3,"zz",{]', FV),
    ('[4,"zz","GenericError","d",{]', FV),
)


def _reject(text, **options):
    session = central_system(**options)
    event = only(session.receive_text(text, NOW), "FrameRejected")
    return session, event


def test_call_side_errors_are_answered_with_the_table_code():
    for text, code, answer_id in CALL_SIDE_CASES:
        session, event = _reject(text)
        assert event.error.code == code, (text, event)
        assert event.answered, text
        assert event.answer_id == answer_id, (text, event.answer_id)
        frames = sent(session)
        assert len(frames) == 1, (text, frames)
        frame = frames[0]
        assert is_well_formed_call_error(frame), frame
        assert frame[1] == answer_id, (text, frame)
        assert frame[2] == code, (text, frame)
        assert frame[3] == event.error.description
        assert frame[4] == {}, frame


def test_recovered_id_is_reported_on_the_event():
    for text, _code, answer_id in CALL_SIDE_CASES:
        session, event = _reject(text)
        if answer_id == "-1":
            assert event.unique_id is None, text
        else:
            assert event.unique_id == answer_id, text


def test_broken_responses_are_reported_not_answered():
    for text, code in RESPONSE_SIDE_CASES:
        session, event = _reject(text)
        assert event.error.code == code, (text, event)
        assert not event.answered, text
        assert event.answer_id is None
        assert sent(session) == [], text


def test_id_of_exactly_36_characters_is_accepted():
    session = central_system()
    event = only(session.receive_text('[2,"' + ID36 + '","Heartbeat",{}]', NOW))
    assert event.kind == "CallReceived"
    assert event.unique_id == ID36


def test_empty_string_id_is_a_string_id():
    session = central_system()
    event = only(session.receive_text('[2,"","Heartbeat",{}]', NOW), "CallReceived")
    assert event.unique_id == ""


def test_null_payload_is_read_as_empty_object():
    # OCPP-J 4.2.1: null and {} are both notations for "no payload".
    session = central_system()
    event = only(session.receive_text('[2,"n1","Heartbeat",null]', NOW), "CallReceived")
    assert event.payload == {}


def test_whitespace_around_and_inside_the_frame_is_fine():
    session = central_system()
    text = ' \r\n\t[ 2 , "w1" ,\n"Heartbeat" , { } ]\n '
    event = only(session.receive_text(text, NOW), "CallReceived")
    assert event.unique_id == "w1"


# "é", "中" and "😀" as their UTF-8 bytes: a MicroPython without unicode str
# (QuecPython's 1.13) holds text as its UTF-8 bytes, so these mean the same
# text on every interpreter, as "\u00e9" in source would not.
E_ACUTE = b"\xc3\xa9".decode("utf-8")
ZHONG = b"\xe4\xb8\xad".decode("utf-8")
GRIN = b"\xf0\x9f\x98\x80".decode("utf-8")


def test_string_escapes_and_unicode_are_decoded():
    session = central_system()
    text = (
        '[2,"u1","DataTransfer",{"vendorId":"caf\\u00e9 \\"q\\" \\\\ \\/","data":"'
        + E_ACUTE
        + ZHONG
        + '"}]'
    )
    event = only(session.receive_text(text, NOW), "CallReceived")
    assert event.request.vendor_id == "caf" + E_ACUTE + ' "q" \\ /'
    assert event.request.data == E_ACUTE + ZHONG


def test_escapes_beyond_latin_1_and_surrogate_pairs_are_decoded():
    # CPython peers escape every non-ASCII character by default
    session = central_system()
    text = '[2,"u2","DataTransfer",{"vendorId":"\\u00e9\\u4e2d\\ud83d\\ude00\\u0041\\\\u00e9"}]'
    event = only(session.receive_text(text, NOW), "CallReceived")
    assert event.request.vendor_id == E_ACUTE + ZHONG + GRIN + "A\\u00e9"


def test_a_lone_escaped_surrogate_is_never_corrupted():
    session = central_system()
    text = '[2,"u3","DataTransfer",{"vendorId":"x\\ud800y"}]'
    event = only(session.receive_text(text, NOW))
    if jsontext.ESCAPES_DECODED:
        # json holds it as it is (a str with a lone surrogate)
        assert event.kind == "CallReceived" and len(event.request.vendor_id) == 3
    else:
        # UTF-8 cannot carry it: refused, not read as something else
        assert event.kind == "FrameRejected" and event.answer_id == "u3"
        assert event.error.code == "FormationViolation"
        assert "surrogate" in event.error.description


def test_numbers_in_every_valid_json_spelling():
    session = central_system()
    for number in (
        "0",
        "-0",
        "7",
        "-12",
        "10",
        "1.5",
        "1e2",
        "1E+2",
        "-1.25e-3",
        "0.0",
    ):
        session = central_system()
        text = (
            '[2,"n","StatusNotification",{"connectorId":%s,"errorCode":"NoError","status":"Available"}]'
            % number
        )
        event = only(session.receive_text(text, NOW))
        # connectorId is an integer: only integer spellings pass validation
        if number in ("0", "-0", "7", "10"):
            assert event.kind == "CallReceived", (number, event)
        else:
            assert event.kind == "FrameRejected", (number, event)
            assert event.error.code in (
                "TypeConstraintViolation",
                "PropertyConstraintViolation",
            )


def test_nesting_deeper_than_the_limit_is_formation_violation():
    depth = 40
    text = '[2,"deep","DataTransfer",' + "[" * depth + "]" * depth + "]"
    session, event = _reject(text)
    assert event.error.code == FV
    assert "nesting" in event.error.description
    assert event.answer_id == "deep"


def test_nesting_at_the_limit_reaches_validation():
    # 1 (frame) + 1 (payload) + 30 = 32 levels: parsed, then refused by
    # the schema, not by the frame checks.
    text = '[2,"ok","DataTransfer",{"vendorId":"v","data":' + "[" * 30 + "]" * 30 + "}]"
    session, event = _reject(text)
    assert event.error.code == "TypeConstraintViolation", event


def test_configurable_depth():
    text = '[2,"d","DataTransfer",{"vendorId":"v","data":[[1]]}]'
    session, event = _reject(text, max_depth=3)
    assert event.error.code == FV
    session, event = _reject(text, max_depth=4)
    assert event.error.code == "TypeConstraintViolation"


def test_very_deep_nesting_cannot_exhaust_the_stack():
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        depth = 10000
        # cut off, and complete (valid JSON, only too deep)
        for tail in ("", "1" + closer * depth + "]"):
            text = '[2,"abyss","DataTransfer",' + opener * depth + tail
            session, event = _reject(text, max_frame_size=200000)
            assert event.error.code == FV
            assert "nesting deeper than 32" in event.error.description
            assert event.answer_id == "abyss"


def test_valid_json_just_over_the_depth_limit_is_refused():
    # on CPython this frame parses; the depth is then measured on the value
    text = '[2,"d","DataTransfer",{"vendorId":"v","data":' + "[" * 31 + "]" * 31 + "}]"
    session, event = _reject(text)
    assert event.error.code == FV
    assert event.error.description == "frame is not valid JSON: nesting deeper than 32"


def test_default_frame_limit_depends_on_the_interpreter():
    import sys

    if sys.implementation.name == "micropython":
        assert framing.DEFAULT_MAX_FRAME_SIZE == 32768
    else:
        assert framing.DEFAULT_MAX_FRAME_SIZE == 1048576
    assert central_system().max_frame_size == framing.DEFAULT_MAX_FRAME_SIZE


def test_oversized_frame_is_generic_error_with_recovered_id():
    data = "a" * 70000
    text = '[2,"big","DataTransfer",{"vendorId":"v","data":"' + data + '"}]'
    session, event = _reject(text, max_frame_size=65536)
    assert event.error.code == "GenericError"
    assert "65536" in event.error.description
    assert event.answer_id == "big"
    frames = sent(session)
    assert frames[0][1] == "big"


def test_oversized_junk_is_answered_with_placeholder():
    session, event = _reject("x" * 70000, max_frame_size=65536)
    assert event.error.code == "GenericError"
    assert event.answer_id == "-1"


def test_oversized_response_is_not_answered():
    text = '[3,"r",{"data":"' + "a" * 70000 + '"}]'
    session, event = _reject(text, max_frame_size=65536)
    assert event.error.code == "GenericError"
    assert not event.answered


def test_configurable_frame_size():
    text = '[2,"s","Heartbeat",{}]'
    session, event = _reject(text, max_frame_size=len(text) - 1)
    assert event.error.code == "GenericError"
    session = central_system(max_frame_size=len(text))
    assert only(session.receive_text(text, NOW)).kind == "CallReceived"


def test_bytes_input_is_utf8():
    session = central_system()
    text = '[2,"b1","DataTransfer",{"vendorId":"caf' + E_ACUTE + '"}]'
    event = only(session.receive_text(text.encode("utf-8"), NOW), "CallReceived")
    assert event.request.vendor_id == "caf" + E_ACUTE
    event = only(session.receive_text(bytearray(b'[2,"b2","Heartbeat",{}]'), NOW))
    assert event.kind == "CallReceived"


def test_invalid_utf8_bytes_are_formation_violation():
    for data in (
        b"\xff",
        b"\xfe\xff[]",
        b'[2,"b","DataTransfer",{"vendorId":"\xc3"}]',
        b"\xc3\x28",
    ):
        session, event = _reject(data)
        assert event.error.code == FV, data
        assert "UTF-8" in event.error.description
        assert event.answer_id == "-1"


def test_other_input_types_are_usage_errors():
    session = central_system()
    for value in (None, 5, ["[2]"], {"a": 1}):
        raises(errors.UsageError, session.receive_text, value, NOW)


def test_emitted_frames_round_trip_through_the_parser():
    call = framing.parse(framing.call_text("i1", "Heartbeat", {}))
    assert call.message_type == 2 and call.unique_id == "i1" and call.action == "Heartbeat"
    result = framing.parse(framing.result_text("i1", {"a": [1, 2]}))
    assert result.message_type == 3 and result.payload == {"a": [1, 2]}
    error = framing.parse(framing.error_text("i1", "GenericError", "d", {"k": "v"}))
    assert error.message_type == 4
    assert (error.code, error.description, error.details) == (
        "GenericError",
        "d",
        {"k": "v"},
    )


def test_peek_reads_only_a_plain_prefix():
    assert framing.peek('[2,"abc",') == (2, "abc")
    assert framing.peek(' [ 3 , "r" ') == (3, "r")
    assert framing.peek('[2,"a\\"b",') == (2, None)
    assert framing.peek("[2,5,") == (2, None)
    assert framing.peek("{") == (None, None)
    assert framing.peek("[x") == (None, None)
    assert framing.peek('[2,"' + ID37 + '"') == (2, None)
