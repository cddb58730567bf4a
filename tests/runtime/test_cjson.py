"""ocppj.cjson gives exactly what json.loads / json.dumps give (CPython)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocppj import cjson, framing

_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def _outcome(function, argument):
    try:
        return "value", function(argument)
    except RecursionError:
        return "RecursionError", None
    except Exception as exc:
        return type(exc).__name__, str(exc)


def test_framing_uses_it_on_cpython():
    assert framing._json_loads is cjson.loads
    assert framing._json_dumps is cjson.dumps


@pytest.mark.parametrize(
    "text",
    [
        '[2,"1","Heartbeat",{}]',
        ' [2,"1","Heartbeat",{}]',
        '[2,"1","Heartbeat",{}] ',
        '[2,"1","Heartbeat",{}]\n',
        '[2,"1","Heartbeat",{}][]',
        '[2,"1","Heartbeat",{}] x',
        "\ufeff[1]",
        "",
        "   ",
        "[1,]",
        "[NaN, Infinity, -Infinity]",
        '"\\ud800"',
        "[1e400, 123456789012345678901234567890]",
        "[" * 5000 + "]" * 5000,
        '{"a": 1, "a": 2}',
        '"\x00"',
        "1",
        "tru",
    ],
)
def test_loads_matches_json_loads(text):
    assert _outcome(cjson.loads, text) == _outcome(json.loads, text)


@given(value=_values, before=st.sampled_from(["", " ", "\n\t"]), after=st.sampled_from(["", " ", "x", "[]"]))
def test_loads_matches_json_loads_on_json(value, before, after):
    text = before + json.dumps(value) + after
    assert _outcome(cjson.loads, text) == _outcome(json.loads, text)


@given(text=st.text(max_size=40))
def test_loads_matches_json_loads_on_any_text(text):
    assert _outcome(cjson.loads, text) == _outcome(json.loads, text)


@given(value=_values)
def test_dumps_matches_json_dumps(value):
    assert cjson.dumps(value) == json.dumps(value)


def test_dumps_fails_like_json_dumps():
    for value in ({1j: 1}, [object()], {"a": {1, 2}}):
        with pytest.raises(TypeError):
            cjson.dumps(value)
        with pytest.raises(TypeError):
            json.dumps(value)
    cycle = []
    cycle.append(cycle)
    with pytest.raises((RecursionError, ValueError)):
        cjson.dumps(cycle)
