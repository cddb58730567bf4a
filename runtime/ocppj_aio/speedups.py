"""What only CPython gets: faster ways to do what the portable modules do.

CPython only. The portable tier never imports it: ``install()``, which this
package runs on import, hands the entry points to framing and events, and
where it has not run they use their portable code. Each function gives
exactly the portable result (tests/runtime/test_speedups.py).

* ``loads`` (framing): json.loads reaches the C scanner through three
  Python calls and two whitespace matches, which on a small frame cost a
  quarter of the parse. A frame is almost always one value with no
  whitespace around it; for that text the scanner alone gives what
  json.loads gives. Anything else (whitespace around the value, a byte
  order mark, extra data, no value at all) goes to json.loads. Unlike
  json.loads, NaN, Infinity and -Infinity are refused (ValueError): they
  are not JSON (RFC 8259), so framing needs no text search for them.
* ``dumps`` (framing): json.dumps makes a new C encoder on every call,
  which costs more than encoding a small frame does. One encoder with
  json.dumps's settings, made once, writes the same text. It keeps no
  circular-reference markers: they would be shared between calls (and
  threads); a cycle still fails, as RecursionError.
* ``event_init`` (events): an ``__init__`` of plain attribute stores for an
  event class, a third of the cost of the portable one that loops over the
  field names with setattr; made once per class, as dataclasses and
  namedtuple make theirs.
"""

import json
from json.decoder import JSONDecoder
from json.encoder import JSONEncoder, c_make_encoder, encode_basestring_ascii
from json.scanner import c_make_scanner

if c_make_scanner is None or c_make_encoder is None:
    raise ImportError("this Python's json module has no C speedups")


def refuse_constant(name):
    """json's parse_constant hook: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError("%s is not JSON" % name)


_scan = c_make_scanner(JSONDecoder(parse_constant=refuse_constant))
_encoder = c_make_encoder(
    None,
    JSONEncoder().default,
    encode_basestring_ascii,
    None,
    ": ",
    ", ",
    False,
    False,
    True,
)


def loads(text):
    """json.loads(text, parse_constant=refuse_constant) for a str."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text, parse_constant=refuse_constant)
    if end != len(text):
        return json.loads(text, parse_constant=refuse_constant)
    return value


def dumps(value):
    """json.dumps(value) with its default settings."""
    return "".join(_encoder(value, 0))


def event_init(names, required):
    """``__init__(self, <names>)`` storing each argument under its name; the
    names after the first ``required`` default to None."""
    for name in names:
        if not name.isidentifier() or name == "self":
            raise ValueError("not a field name: %r" % (name,))
    parameters = list(names[:required]) + ["%s=None" % n for n in names[required:]]
    source = "def __init__(self, %s):\n" % ", ".join(parameters)
    source += "".join("    self.%s = %s\n" % (n, n) for n in names)
    scope = {}
    exec(source, scope)
    return scope["__init__"]


_probe = [3, "-1", {"a": [1.5, None, True, -0.0, 10**20], "b": "\\\u00e9\n"}]
if dumps(_probe) != json.dumps(_probe) or loads(json.dumps(_probe)) != _probe:
    raise ImportError("the C JSON code does not match json.dumps/json.loads here")
del _probe


def install():
    """Hand the portable core these entry points (framing.use_json,
    events.use_init_factory). Idempotent; the CPython tier runs it on import."""
    from ocppj import events, framing

    framing.use_json(loads, dumps)
    events.use_init_factory(event_init)
