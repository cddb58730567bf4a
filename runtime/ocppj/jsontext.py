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

try:
    const
except NameError:  # CPython; MicroPython's compiler folds const() itself
    const = int

# Bytes of the JSON grammar. const() with a leading underscore: MicroPython
# inlines them and keeps no global or name for them.
_QUOTE = const(34)
_BACKSLASH = const(92)
_COMMA = const(44)
_COLON = const(58)
_OPEN_ARRAY = const(91)
_OPEN_OBJECT = const(123)
_MINUS = const(45)
_ZERO = const(48)
_NINE = const(57)
# Why text is not JSON: numbers into rejection.SCAN_REASONS, whose wording
# only a refused frame needs (and a refused frame loads rejection.py anyway).
_NOT_A_KEY = const(0)
_TEXT_ENDS = const(1)
_TOO_DEEP = const(2)
_BAD_CHARACTER = const(3)
_TEXT_AFTER = const(4)
_NO_SEPARATOR = const(5)


# True on MicroPython: every frame then goes through the full scan.
try:
    json.loads("[1 2]")
    PARSER_IS_LENIENT = True
except Exception:
    PARSER_IS_LENIENT = False


if PARSER_IS_LENIENT:

    def needs_scan(text):
        """Whether ``loads`` alone could misjudge ``text`` (a str): always."""
        return True

else:
    # Only a strict parser lets framing skip the scan and measure the nesting
    # of the parsed value instead; that code is jsonstrict.py's, which
    # MicroPython never imports.
    from .jsonstrict import may_be_too_deep, needs_scan, too_deep


def check(data, max_depth):
    """None when bytes ``data`` hold exactly one strict JSON value (RFC 8259)
    nesting at most ``max_depth`` arrays/objects deep, else a short reason."""
    n = len(data)
    stack = []
    key = False  # whether an object member (key, colon) starts at i
    i = _skip_space(data, 0, n)
    while True:
        if key:
            key = False
            if i >= n or data[i] != _QUOTE:
                return _reason(_NOT_A_KEY, i)
            i = _string_end(data, i, n)
            if i >= 0:
                i = _skip_space(data, i, n)
            if i < 0 or i >= n or data[i] != _COLON:
                return _reason(_NOT_A_KEY, i)
            i = _skip_space(data, i + 1, n)
        # Here a value must start at i.
        if i >= n:
            return _reason(_TEXT_ENDS, i)
        c = data[i]
        if c == _OPEN_ARRAY or c == _OPEN_OBJECT:
            if len(stack) >= max_depth:
                return _reason(_TOO_DEEP, max_depth)
            stack.append(c)
            i = _skip_space(data, i + 1, n)
            if i < n and data[i] == c + 2:
                # "[]" / "{}": the closing byte is the opening one plus 2.
                stack.pop()
                i += 1
            else:
                key = c == _OPEN_OBJECT
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
            return _reason(_BAD_CHARACTER, i)
        # Here a value ended at i: a separator, a closing bracket or the end.
        while True:
            i = _skip_space(data, i, n)
            if not stack:
                if i == n:
                    return None
                return _reason(_TEXT_AFTER, i)
            if i >= n:
                return _reason(_TEXT_ENDS, i)
            c = data[i]
            if c == _COMMA:
                i = _skip_space(data, i + 1, n)
                key = stack[-1] == _OPEN_OBJECT
                break
            if c == stack[-1] + 2:
                stack.pop()
                i += 1
                continue
            return _reason(_NO_SEPARATOR, i)


def _reason(number, value):
    """The wording of reason ``number``, naming ``value`` (an offset or the
    nesting limit) where it has a place for one."""
    from .rejection import SCAN_REASONS

    reason = SCAN_REASONS[number]
    if "%d" in reason:
        reason = reason % value
    return reason


def _skip_space(data, i, n):
    while i < n:
        c = data[i]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return i
        i += 1
    return i


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
                    if data[k] not in b"0123456789abcdefABCDEF":
                        return -1
                i += 6
            elif e in b'"\\/bfnrt':
                i += 2
            else:
                return -1
        elif c < 32:
            return -1
        else:
            i += 1
    return -1


def _number_end(data, i, n):
    """Index after the number starting at ``data[i]``, or -1."""
    if data[i] == _MINUS:
        i += 1
    if i < n and data[i] == _ZERO:
        i += 1
    else:
        start = i
        while i < n and _ZERO <= data[i] <= _NINE:
            i += 1
        if i == start:
            return -1
    if i < n and data[i] == 46:  # "."
        i += 1
        start = i
        while i < n and _ZERO <= data[i] <= _NINE:
            i += 1
        if i == start:
            return -1
    if i < n and (data[i] == 101 or data[i] == 69):  # "e" / "E"
        i += 1
        if i < n and (data[i] == 43 or data[i] == _MINUS):  # "+" / "-"
            i += 1
        start = i
        while i < n and _ZERO <= data[i] <= _NINE:
            i += 1
        if i == start:
            return -1
    return i
