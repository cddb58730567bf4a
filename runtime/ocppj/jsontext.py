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
* Escapes: a MicroPython built without unicode ``str`` (QuecPython's 1.13)
  keeps only the low byte of a ``\\uXXXX`` escape, so ``"\\u00e9"`` would
  arrive as the byte 0xE9 instead of "é", and 1.29 keeps the two halves of
  a surrogate pair apart. Where ``loads`` does that (ESCAPES_DECODED
  False), ``decode_escapes`` first writes every escape above 0x7F as its
  UTF-8 bytes, which ``str`` holds as they are.
* UTF-8: the scan refuses strings that are not well-formed UTF-8, which a
  MicroPython without unicode ``str`` would otherwise take in (its
  ``decode`` checks nothing; ``is_utf8`` does it for bytes handed in).

The scan works on UTF-8 bytes: indexing a MicroPython str is O(n) per index
for non-ASCII text, indexing bytes is O(1) on both interpreters.
"""

try:
    import ujson as json
except ImportError:
    import json

try:
    const  # type: ignore[used-before-def]  # noqa: B018 (is it a builtin here?)
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
# What check says of nesting beyond the limit; framing says the same of a
# frame the CPython path measures as too deep, so both interpreters word
# one broken frame alike.
TOO_DEEP = "nesting deeper than %d"

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
    from .jsonstrict import may_be_too_deep as may_be_too_deep
    from .jsonstrict import needs_scan as needs_scan
    from .jsonstrict import too_deep as too_deep


def check(data, max_depth):
    """None when bytes ``data`` hold exactly one strict JSON value (RFC 8259)
    nesting at most ``max_depth`` arrays/objects deep, else a short reason."""
    n = len(data)
    stack: list[int] = []
    key = False  # whether an object member (key, colon) starts at i
    i = _skip_space(data, 0, n)
    while True:
        if key:
            key = False
            if i >= n or data[i] != _QUOTE:
                return "object key is not a string followed by ':'"
            i = _string_end(data, i, n)
            if i >= 0:
                i = _skip_space(data, i, n)
            if i < 0 or i >= n or data[i] != _COLON:
                return "object key is not a string followed by ':'"
            i = _skip_space(data, i + 1, n)
        # Here a value must start at i.
        if i >= n:
            return "unexpected end of text"
        c = data[i]
        if c == _OPEN_ARRAY or c == _OPEN_OBJECT:
            if len(stack) >= max_depth:
                return TOO_DEEP % max_depth
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
            if c == _COMMA:
                i = _skip_space(data, i + 1, n)
                key = stack[-1] == _OPEN_OBJECT
                break
            if c == stack[-1] + 2:
                stack.pop()
                i += 1
                continue
            return "expected ',' or a closing bracket at offset %d" % i


# Whether loads decodes "\u00e9" and the pair "\ud83d\ude00" to their
# characters (UTF-8 C3 A9 and F0 9F 98 80 once encoded): CPython's does;
# MicroPython 1.29's keeps the pair's halves apart, and 1.13 built without
# unicode str keeps only each escape's low byte.
try:
    ESCAPES_DECODED = (
        json.loads('"\\u00e9\\ud83d\\ude00"').encode("utf-8") == b"\xc3\xa9\xf0\x9f\x98\x80"
    )
except Exception:
    ESCAPES_DECODED = False

# Whether bytes.decode("utf-8") refuses what is not UTF-8 (MicroPython
# built without unicode str copies any bytes).
try:
    b"\xff".decode("utf-8")
    DECODE_CHECKS_UTF8 = False
except Exception:
    DECODE_CHECKS_UTF8 = True


def is_utf8(data):
    """Whether the bytes ``data`` are well-formed UTF-8 (RFC 3629)."""
    i = 0
    n = len(data)
    while i < n:
        if data[i] < 0x80:
            i += 1
        else:
            i = _utf8_end(data, i, n)
            if i < 0:
                return False
    return True


def _utf8_end(data, i, n):
    """Index after the UTF-8 sequence of the character whose first byte,
    0x80 or above, is ``data[i]``; -1 if the sequence is malformed (Unicode
    table 3-7: no overlong forms, surrogates or code points above 0x10FFFF)."""
    c = data[i]
    low = 0x80
    high = 0xBF
    if 0xC2 <= c <= 0xDF:
        count = 1
    elif 0xE0 <= c <= 0xEF:
        count = 2
        if c == 0xE0:
            low = 0xA0
        elif c == 0xED:
            high = 0x9F
    elif 0xF0 <= c <= 0xF4:
        count = 3
        if c == 0xF0:
            low = 0x90
        elif c == 0xF4:
            high = 0x8F
    else:
        return -1
    if i + count >= n or not low <= data[i + 1] <= high:
        return -1
    for k in range(i + 2, i + count + 1):
        if data[k] & 0xC0 != 0x80:
            return -1
    return i + count + 1


def decode_escapes(text):
    """``text`` (one JSON value, checked already) with each ``\\uXXXX``
    escape above 0x7F, surrogate pairs joined, replaced by the character's
    UTF-8 bytes; the value loads the same. ValueError for an escaped
    surrogate that is not half of a pair: UTF-8 cannot carry it."""
    data = text.encode("utf-8")
    out = bytearray()
    done = 0  # data[:done] is copied to out or replaced
    i = data.find(b"\\")
    while i >= 0:
        if data[i + 1] != 117:  # not "\u": a two-byte escape
            i = data.find(b"\\", i + 2)
            continue
        code = int(data[i + 2 : i + 6], 16)
        end = i + 6
        if code < 0x80:
            i = data.find(b"\\", end)
            continue
        if 0xD800 <= code < 0xDC00 and data[end : end + 2] == b"\\u":
            low = int(data[end + 2 : end + 6], 16)
            if 0xDC00 <= low < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                end += 6
        if 0xD800 <= code < 0xE000:
            raise ValueError("\\u%04x is half of a UTF-16 surrogate pair" % code)
        out += data[done:i]
        out += _utf8(code)
        done = end
        i = data.find(b"\\", end)
    if done == 0:
        return text
    out += data[done:]
    return bytes(out).decode("utf-8")


def _utf8(code):
    """The UTF-8 bytes of the code point ``code`` (0x80 and above)."""
    if code < 0x800:
        return bytes((0xC0 | code >> 6, 0x80 | code & 0x3F))
    if code < 0x10000:
        return bytes((0xE0 | code >> 12, 0x80 | code >> 6 & 0x3F, 0x80 | code & 0x3F))
    return bytes(
        (0xF0 | code >> 18, 0x80 | code >> 12 & 0x3F, 0x80 | code >> 6 & 0x3F, 0x80 | code & 0x3F)
    )


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
        elif c < 128:
            i += 1
        else:
            i = _utf8_end(data, i, n)
            if i < 0:
                return -1
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
