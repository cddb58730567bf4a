"""ocppj_aio.speedups gives exactly what the portable code gives (CPython):
loads is json.loads refusing NaN/Infinity, dumps is json.dumps, event_init
builds events equal to the portable Event.__init__'s."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ocppj import events, framing
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
    assert events.CallReceived.__init__ is not events.Event.__init__


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


def _portable(cls):
    return type("Portable" + cls.__name__, (cls,), {"__init__": events.Event.__init__})


@pytest.mark.parametrize(
    "kind", ["CallReceived", "ResultRejected", "FrameRejected", "CallCancelled"]
)
def test_event_init_matches_the_portable_one(kind):
    fast = getattr(events, kind)
    slow = _portable(fast)
    names = fast._names
    for count in range(fast._required, len(names) + 1):
        values = tuple("v%d" % i for i in range(count))
        assert vars(fast(*values)) == vars(slow(*values))
    for count in (fast._required - 1, len(names) + 1):
        values = tuple(range(count))
        with pytest.raises(TypeError):
            fast(*values)
        with pytest.raises(TypeError):
            slow(*values)


def test_event_init_takes_field_names_only():
    with pytest.raises(ValueError):
        speedups.event_init(("a", "b c"), 1)
    with pytest.raises(ValueError):
        speedups.event_init(("self",), 1)
