"""jsontext.check judges text exactly like CPython's (strict) json module,
except for NaN/Infinity, which CPython accepts and JSON does not. This is
what lets MicroPython, whose parser is lax, reject the same frames."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from ocppj import jsontext

DEEP = 10**6  # depth is tested elsewhere; here only syntax matters

NEAR_JSON = st.text(
    alphabet=st.sampled_from(
        list('[]{}",:0123456789.eE+- \t\n\r\\/truefalsn') + ["\u00e9", "\x01", "u"]
    ),
    max_size=40,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)


def _cpython_accepts(text):
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return "NaN" not in text and "Infinity" not in text


def _scan_accepts(text):
    return jsontext.check(text.encode("utf-8", "surrogatepass"), DEEP) is None


@settings(max_examples=2000)
@given(NEAR_JSON)
def test_near_json_text_is_judged_like_cpython(text):
    if "NaN" in text or "Infinity" in text:
        return
    assert _scan_accepts(text) == _cpython_accepts(text), text


@settings(max_examples=500)
@given(json_values, st.sampled_from([None, 0, 2, 4]))
def test_serialised_json_is_accepted(value, indent):
    assert _scan_accepts(json.dumps(value, indent=indent, ensure_ascii=False))
    assert _scan_accepts(json.dumps(value))


@settings(max_examples=1000)
@given(
    json_values,
    st.integers(0, 10**6),
    st.sampled_from(list('[]{}",:0.e- \\x')),
    st.booleans(),
)
def test_one_character_edits_are_judged_like_cpython(value, position, char, insert):
    text = json.dumps(value)
    cut = position % (len(text) + 1)
    if insert:
        edited = text[:cut] + char + text[cut:]
    else:
        edited = text[:cut] + text[cut + 1 :]
    if "NaN" in edited or "Infinity" in edited:
        return
    assert _scan_accepts(edited) == _cpython_accepts(edited), edited


def test_depth_is_counted_in_containers():
    assert jsontext.check(b"[[[]]]", 3) is None
    assert "deeper" in jsontext.check(b"[[[[]]]]", 3)
    assert jsontext.check(b'{"a":{"b":[1]}}', 3) is None
    assert "deeper" in jsontext.check(b'{"a":{"b":[[1]]}}', 3)
    # brackets inside strings do not count
    assert jsontext.check(b'["[[[[[[[["]', 1) is None


def test_non_json_constants_are_refused():
    for text in (b"NaN", b"[Infinity]", b"[-Infinity]", b"[nan]", b"[None]", b"[True]"):
        assert jsontext.check(text, 10) is not None, text


def test_cpython_scans_only_for_non_json_constants():
    if jsontext.PARSER_IS_LENIENT:
        return
    assert not jsontext.needs_scan('[2,"a","Heartbeat",{}]')
    assert not jsontext.needs_scan("[" * 100)
    assert jsontext.needs_scan('[2,"a","X",{"v":NaN}]')
    assert jsontext.needs_scan('[2,"a","X",{"v":-Infinity}]')


def test_depth_of_parsed_values_matches_the_scan():
    for text in (
        "1",
        "[]",
        "[[]]",
        '{"a":[{"b":{}}]}',
        "[[1],[[2]],[]]",
        '[{"a":[[[]]]}]',
    ):
        for limit in range(1, 7):
            by_scan = jsontext.check(text.encode(), limit) is not None
            assert jsontext.too_deep(json.loads(text), limit) == by_scan, (text, limit)
    # an upper bound: brackets inside strings count too
    assert jsontext.may_be_too_deep('["[[[["]', 1)
    assert not jsontext.may_be_too_deep("[[]]", 2)


def test_a_broken_frame_is_worded_by_the_scan_up_to_the_wording_limit():
    # CPython's parser refuses first; the scan then runs only for the
    # description, and not at all above WORDING_SCAN_LIMIT.
    from ocppj import framing

    broken = '[2,"a" "Heartbeat",{}]'
    short = framing.parse(broken)
    assert short.error.description == (
        "frame is not valid JSON: expected ',' or a closing bracket at offset 7"
    )
    padded = broken + " " * framing.WORDING_SCAN_LIMIT
    long = framing.parse(padded)
    assert long.error.code == "FormationViolation"
    assert long.error.description == "frame is not valid JSON: not accepted by the JSON parser"
    assert framing.parse(padded.encode("utf-8")).error.description == long.error.description


# Text without lone surrogates: what UTF-8 can carry.
_utf8_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
_utf8_values = st.recursive(
    st.none() | st.integers() | _utf8_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_utf8_text, children, max_size=4)
    ),
    max_leaves=12,
)


def _escaped_codes(text):
    """The code of each \\uXXXX escape in JSON text."""
    codes = []
    i = text.find("\\")
    while i >= 0:
        if text[i + 1] == "u":
            codes.append(int(text[i + 2 : i + 6], 16))
            i = text.find("\\", i + 6)
        else:
            i = text.find("\\", i + 2)
    return codes


@given(value=_utf8_values, ensure_ascii=st.booleans())
def test_decode_escapes_keeps_the_value(value, ensure_ascii):
    # what a MicroPython without unicode str parses after framing ran it
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    decoded = jsontext.decode_escapes(text)
    assert json.loads(decoded) == value
    assert all(code < 0x80 for code in _escaped_codes(decoded))
    assert jsontext.check(decoded.encode("utf-8"), DEEP) is None


def test_decode_escapes_writes_utf8_and_refuses_lone_surrogates():
    text = '["\\u00e9\\u4e2d\\ud83d\\ude00", "\\u0022\\\\u00e9", "\\n"]'
    assert jsontext.decode_escapes(text) == '["\u00e9\u4e2d\U0001f600", "\\u0022\\\\u00e9", "\\n"]'
    assert jsontext.decode_escapes('["plain"]') == '["plain"]'
    for lone in ('"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800\\ud800"'):
        try:
            jsontext.decode_escapes(lone)
            raise AssertionError("accepted " + lone)
        except ValueError as exc:
            assert "surrogate" in str(exc)


@given(data=st.binary(max_size=12) | st.text(max_size=6).map(lambda t: t.encode("utf-8")))
def test_is_utf8_agrees_with_cpythons_decoder(data):
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    assert jsontext.is_utf8(data) is expected
    # and the scan refuses a string that is not UTF-8
    verdict = jsontext.check(b'"' + data.replace(b"\\", b"").replace(b'"', b"") + b'"', DEEP)
    if not expected and all(byte >= 32 for byte in data):
        assert verdict is not None


def test_is_utf8_refuses_overlong_forms_surrogates_and_too_large_code_points():
    for data in (b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf8\x88"):
        assert not jsontext.is_utf8(data), data
    assert jsontext.is_utf8("\u00e9\u4e2d\U0001f600".encode("utf-8"))
