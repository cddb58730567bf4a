"""What only CPython gets: faster ways to do what the portable modules do.

CPython only. The portable tier never imports it: ``install()``, which this
package runs on import, hands the entry points to framing, and
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
"""

import json
from json.decoder import JSONDecoder
from json.encoder import JSONEncoder, c_make_encoder, encode_basestring_ascii
from json.scanner import c_make_scanner

from ocppj import framing

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


_probe = [3, "-1", {"a": [1.5, None, True, -0.0, 10**20], "b": "\\\u00e9\n"}]
if dumps(_probe) != json.dumps(_probe) or loads(json.dumps(_probe)) != _probe:
    raise ImportError("the C JSON code does not match json.dumps/json.loads here")
del _probe


def install():
    """Hand the portable core these entry points (framing.use_json).
    Idempotent; the CPython tier runs it on import."""
    framing.use_json(loads, dumps)
