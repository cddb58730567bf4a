"""Hypothesis strategies for valid OCPP 1.6 wire payloads, read off the schemas.

The strategies are built from the patched JSON schemas (wire_schemas), not
from the generator's IR, so a generator bug cannot hide in both the code
under test and the data that tests it. Any keyword the builder does not know
fails loudly: a new schema keyword must get a strategy before it is trusted.
"""

import string

from hypothesis import strategies as st

from wire_schemas import is_draft06, message_schema, resolve

# Keywords with no bearing on which instances are valid.
_METADATA = {"$schema", "$id", "id", "title", "description", "javaType", "definitions"}
_KNOWN = {
    "object": {"type", "properties", "required", "additionalProperties"},
    "array": {"type", "items", "minItems", "maxItems", "additionalItems"},
    "string": {"type", "maxLength", "format", "enum", "additionalProperties"},
    "integer": {"type", "multipleOf"},
    "number": {"type", "multipleOf"},
    "boolean": {"type"},
}

# Unbounded arrays get at most this many extra elements: enough for
# index paths like sampledValue[2], small enough to keep examples fast.
EXTRA_ITEMS = 2

# Short strings are drawn character by character; longer ones up to the
# limit (5500 for a certificate) are padded, so every length up to
# maxLength, including maxLength itself, is reachable cheaply.
_DRAWN_CHARS = 24

_URI_SCHEME_REST = string.ascii_letters + string.digits + "+-."
_URI_BODY = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%"


def text_up_to(max_length):
    """Any Unicode text (non-ASCII included, no lone surrogates) of at most max_length characters."""
    if max_length is None:
        return st.text(max_size=_DRAWN_CHARS)
    short = st.text(max_size=min(max_length, _DRAWN_CHARS))
    if max_length <= _DRAWN_CHARS:
        return st.one_of(short, st.text(min_size=max_length, max_size=max_length))
    return st.one_of(
        short, _padded(max_length, st.just(max_length)), _padded(max_length, st.integers(0, max_length))
    )


def _padded(max_length, lengths):
    return st.builds(
        lambda head, fill, n: (head + fill * max_length)[:n],
        st.text(max_size=_DRAWN_CHARS),
        st.characters(),
        lengths,
    )


@st.composite
def date_times(draw):
    """RFC 3339 date-times: any real calendar day, with or without a fraction, Z or ±hh:mm."""
    day = draw(st.dates())
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    fraction = draw(
        st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9).map(lambda f: "." + f))
    )
    zone = draw(
        st.one_of(
            st.sampled_from(["Z", "Z", "Z", "z"]),
            st.builds(
                lambda sign, h, m: "%s%02d:%02d" % (sign, h, m),
                st.sampled_from("+-"),
                st.integers(0, 23),
                st.integers(0, 59),
            ),
        )
    )
    separator = draw(st.sampled_from("TTTt"))
    return "%04d-%02d-%02d%s%02d:%02d:%02d%s%s" % (
        day.year,
        day.month,
        day.day,
        separator,
        hour,
        minute,
        second,
        fraction,
        zone,
    )


@st.composite
def uris(draw, max_length=None):
    """Absolute URIs: a scheme, a colon, then URI characters without spaces."""
    scheme = draw(st.sampled_from(string.ascii_letters)) + draw(st.text(_URI_SCHEME_REST, max_size=6))
    body = draw(st.text(_URI_BODY, max_size=40))
    uri = scheme + ":" + body
    if max_length is not None and len(uri) > max_length:
        uri = uri[:max_length]  # the scheme is at most 7 characters, maxLength far more
    return uri


def multiples_of(step):
    """Numbers k*step as a JSON parser would give them for step 0.1: 7.1, 0.3, -2.5, and integers."""
    if isinstance(step, int):
        return st.integers(-(10**7), 10**7).map(lambda k: k * step)
    decimals = len(repr(step).split(".")[1])
    if round(1 / step, 6) % 1:
        raise NotImplementedError("multipleOf %r is not 10**-n" % step)
    return st.one_of(
        st.integers(-(10**7), 10**7).map(lambda k: round(k * step, decimals)),
        st.integers(-(10**6), 10**6),
    )


def integers(draft06):
    ints = st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers())
    if draft06:
        # draft-06 counts 1.0 as an integer; a JSON parser gives a float for "1.0".
        return st.one_of(ints, st.integers(-(2**53), 2**53).map(float))
    return ints


class StrategyBuilder:
    """Strategies for one schema document (its $refs resolve inside it)."""

    def __init__(self, root):
        self.root = root
        self.draft06 = is_draft06(root)

    def for_node(self, node):
        node = resolve(self.root, node)
        kind = node.get("type")
        if kind not in _KNOWN:
            raise NotImplementedError("no strategy for type %r" % (kind,))
        unknown = set(node) - _KNOWN[kind] - _METADATA
        if unknown:
            raise NotImplementedError("no strategy for keywords %s" % sorted(unknown))
        return getattr(self, "_" + kind)(node)

    def _object(self, node):
        properties = node.get("properties", {})
        required = set(node.get("required", ()))
        return st.fixed_dictionaries(
            {name: self.for_node(child) for name, child in properties.items() if name in required},
            optional={
                name: self.for_node(child) for name, child in properties.items() if name not in required
            },
        )

    def _array(self, node):
        low = node.get("minItems", 0)
        high = node.get("maxItems", low + EXTRA_ITEMS)
        return st.lists(self.for_node(node["items"]), min_size=low, max_size=high)

    def _string(self, node):
        if "enum" in node:
            return st.sampled_from(node["enum"])
        fmt = node.get("format")
        if fmt == "date-time":
            return date_times()
        if fmt == "uri":
            return uris(node.get("maxLength"))
        if fmt is not None:
            raise NotImplementedError("no strategy for format %r" % fmt)
        return text_up_to(node.get("maxLength"))

    def _integer(self, node):
        if "multipleOf" in node:
            raise NotImplementedError("multipleOf on an integer")
        return integers(self.draft06)

    def _number(self, node):
        if "multipleOf" not in node:
            return st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
        return multiples_of(node["multipleOf"])

    def _boolean(self, node):
        return st.booleans()


_PAYLOADS = {}


def payloads(action, direction):
    """Valid wire payloads (what json.loads gives) for one message."""
    key = (action, direction)
    if key not in _PAYLOADS:
        root = message_schema(action, direction)
        _PAYLOADS[key] = StrategyBuilder(root).for_node(root)
    return _PAYLOADS[key]


def full_payload(root, node=None):
    """One valid payload with every optional field present and two items per
    unbounded array: the widest set of sites for the exhaustive mutation sweep."""
    node = resolve(root, root if node is None else node)
    kind = node["type"]
    if kind == "object":
        return {name: full_payload(root, child) for name, child in node.get("properties", {}).items()}
    if kind == "array":
        return [full_payload(root, node["items"]) for _ in range(max(2, node.get("minItems", 0)))]
    if "enum" in node:
        return node["enum"][-1]
    if kind == "string":
        fmt = node.get("format")
        if fmt == "date-time":
            return "2024-02-29T23:59:59.5+05:30"
        if fmt == "uri":
            return "ftp://diagnostics.example.com/upload"
        return "Zürich"[: node.get("maxLength", 6)]
    return {"integer": 3, "number": 16.5, "boolean": True}[kind]
