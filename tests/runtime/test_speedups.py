"""ocppj_aio.speedups gives exactly what the portable code gives (CPython):
loads is json.loads refusing NaN/Infinity, dumps is json.dumps."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ocppj import framing
from ocppj_aio import speedups

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
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


def strict_json_loads(text):
    return json.loads(text, parse_constant=speedups.refuse_constant)


def test_importing_the_cpython_tier_installs_them():
    assert framing._strict_loads is speedups.loads
    assert framing._json_dumps is speedups.dumps


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
    assert _outcome(speedups.loads, text) == _outcome(strict_json_loads, text)


@given(
    value=_values,
    before=st.sampled_from(["", " ", "\n\t"]),
    after=st.sampled_from(["", " ", "x", "[]"]),
)
def test_loads_matches_json_loads_on_json(value, before, after):
    text = before + json.dumps(value) + after
    assert _outcome(speedups.loads, text) == _outcome(strict_json_loads, text)


@given(text=st.text(max_size=40))
def test_loads_matches_json_loads_on_any_text(text):
    assert _outcome(speedups.loads, text) == _outcome(strict_json_loads, text)


@given(value=_values)
def test_dumps_matches_json_dumps(value):
    assert speedups.dumps(value) == json.dumps(value)


def test_dumps_fails_like_json_dumps():
    for value in ({1j: 1}, [object()], {"a": {1, 2}}):
        with pytest.raises(TypeError):
            speedups.dumps(value)
        with pytest.raises(TypeError):
            json.dumps(value)
    cycle = []
    cycle.append(cycle)
    with pytest.raises((RecursionError, ValueError)):
        speedups.dumps(cycle)


def test_not_json_constants_are_refused():
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}', " [NaN] "):
        with pytest.raises(ValueError):
            speedups.loads(text)
    assert speedups.loads('["NaN", "Infinity"]') == ["NaN", "Infinity"]
