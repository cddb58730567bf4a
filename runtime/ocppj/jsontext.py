"""Strict JSON checks around json.loads, and the nesting limit.

* Strictness: MicroPython's json accepts text that is not JSON (``[1 2]``,
  ``[1,]``, ``{1:2}``, ``"\\x"``, ``01``, raw control characters in strings)
  and CPython's accepts ``NaN``/``Infinity``. OCPP-J 4.1.2 requires valid
  JSON, and both interpreters must judge a frame the same way, so where the
  interpreter's parser is lax, ``check`` (an iterative scan of the text)
  decides before ``loads`` runs.
* Depth: the scan stops at ``max_depth`` without recursing, so on
  MicroPython nothing deeper ever reaches ``loads``. CPython's parser is
  strict already, so there the text is only scanned when it holds a
  ``NaN``/``Infinity`` token; its C decoder turns runaway nesting into a
  RecursionError (caught like any parse error) and ``too_deep`` measures
  the parsed value, at a cost in containers rather than characters. Both
  paths refuse exactly the frames nested deeper than ``max_depth``.

The scan works on UTF-8 bytes: indexing a MicroPython str is O(n) per index
for non-ASCII text, indexing bytes is O(1) on both interpreters.
"""

try:
    import ujson as json
except ImportError:
    import json


def _parser_is_lenient():
    try:
        json.loads("[1 2]")
    except Exception:
        return False
    return True


# True on MicroPython: every frame then goes through the full scan.
PARSER_IS_LENIENT = _parser_is_lenient()

_QUOTE = 34
_BACKSLASH = 92
_COMMA = 44
_COLON = 58
_OPEN_ARRAY = 91
_CLOSE_ARRAY = 93
_OPEN_OBJECT = 123
_CLOSE_OBJECT = 125
_MINUS = 45
_PLUS = 43
_DOT = 46
_ZERO = 48
_NINE = 57
_SIMPLE_ESCAPES = b'"\\/bfnrt'
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def needs_scan(text):
    """Whether ``loads`` alone could misjudge ``text`` (a str)."""
    if PARSER_IS_LENIENT:
        return True
    return "NaN" in text or "Infinity" in text


def may_be_too_deep(text, max_depth):
    """False when ``text`` cannot nest deeper than ``max_depth``: it holds
    no more brackets than that (counted in C, so cheap)."""
    return text.count("[") + text.count("{") > max_depth


def too_deep(value, max_depth):
    """Whether the parsed ``value`` nests arrays/objects deeper than
    ``max_depth`` (the outermost container is level 1). Iterative."""
    # Level by level: one depth count per level, not one per container.
    level = []
    if type(value) is dict or type(value) is list:
        level.append(value)
    depth = 1
    while level:
        if depth > max_depth:
            return True
        below = []
        for node in level:
            if type(node) is dict:
                node = node.values()
            for child in node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
        level = below
        depth += 1
    return False


def check(data, max_depth):
    """None when bytes ``data`` hold exactly one strict JSON value (RFC 8259)
    nesting at most ``max_depth`` arrays/objects deep, else a short reason."""
    n = len(data)
    stack = []
    i = _skip_space(data, 0, n)
    while True:
        # Here a value must start at i.
        if i >= n:
            return "unexpected end of text"
        c = data[i]
        if c == _OPEN_ARRAY or c == _OPEN_OBJECT:
            if len(stack) >= max_depth:
                return "nesting deeper than %d" % max_depth
            stack.append(c)
            i = _skip_space(data, i + 1, n)
            if i < n and data[i] == c + 2:
                # "[]" / "{}": the closing byte is the opening one plus 2.
                stack.pop()
                i += 1
            elif c == _OPEN_OBJECT:
                i = _member_key(data, i, n)
                if i < 0:
                    return "object key is not a string followed by ':'"
                continue
            else:
                continue
        elif c == _QUOTE:
            i = _string_end(data, i, n)
            if i < 0:
                return "bad string"
        elif c == _MINUS or _ZERO <= c <= _NINE:
            i = _number_end(data, i, n)
            if i < 0:
                return "bad number"
        elif data[i : i + 4] == b"true" or data[i : i + 4] == b"null":
            i += 4
        elif data[i : i + 5] == b"false":
            i += 5
        else:
            return "unexpected character at offset %d" % i
        # Here a value ended at i: a separator, a closing bracket or the end.
        while True:
            i = _skip_space(data, i, n)
            if not stack:
                if i == n:
                    return None
                return "text after the JSON value"
            if i >= n:
                return "unexpected end of text"
            c = data[i]
            top = stack[-1]
            if c == _COMMA:
                i = _skip_space(data, i + 1, n)
                if top == _OPEN_OBJECT:
                    i = _member_key(data, i, n)
                    if i < 0:
                        return "object key is not a string followed by ':'"
                break
            if c == top + 2:
                stack.pop()
                i += 1
                continue
            return "expected ',' or a closing bracket at offset %d" % i


def _skip_space(data, i, n):
    while i < n:
        c = data[i]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return i
        i += 1
    return i


def _member_key(data, i, n):
    """Index of the member's value after ``"key" :``, or -1."""
    if i >= n or data[i] != _QUOTE:
        return -1
    i = _string_end(data, i, n)
    if i < 0:
        return -1
    i = _skip_space(data, i, n)
    if i >= n or data[i] != _COLON:
        return -1
    return _skip_space(data, i + 1, n)


def _string_end(data, i, n):
    """Index after the string that opens at ``data[i]``, or -1."""
    i += 1
    while i < n:
        c = data[i]
        if c == _QUOTE:
            return i + 1
        if c == _BACKSLASH:
            if i + 1 >= n:
                return -1
            e = data[i + 1]
            if e == 117:  # "\uXXXX"
                if i + 6 > n:
                    return -1
                for k in range(i + 2, i + 6):
                    if _HEX_DIGITS.find(bytes((data[k],))) < 0:
                        return -1
                i += 6
            elif _SIMPLE_ESCAPES.find(bytes((e,))) >= 0:
                i += 2
            else:
                return -1
        elif c < 32:
            return -1
        else:
            i += 1
    return -1


def _digits_end(data, i, n):
    start = i
    while i < n and _ZERO <= data[i] <= _NINE:
        i += 1
    if i == start:
        return -1
    return i


def _number_end(data, i, n):
    """Index after the number starting at ``data[i]``, or -1."""
    if data[i] == _MINUS:
        i += 1
    if i >= n:
        return -1
    if data[i] == _ZERO:
        i += 1
    else:
        i = _digits_end(data, i, n)
        if i < 0:
            return -1
    if i < n and data[i] == _DOT:
        i = _digits_end(data, i + 1, n)
        if i < 0:
            return -1
    if i < n and (data[i] == 101 or data[i] == 69):  # "e" / "E"
        i += 1
        if i < n and (data[i] == _PLUS or data[i] == _MINUS):
            i += 1
        i = _digits_end(data, i, n)
    return i
