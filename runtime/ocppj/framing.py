"""OCPP-J 1.6 message frames (section 4): parse one text, emit frame texts.

    CALL        [2, "<UniqueId>", "<Action>", {<Payload>}]
    CALLRESULT  [3, "<UniqueId>", {<Payload>}]
    CALLERROR   [4, "<UniqueId>", "<errorCode>", "<errorDescription>", {<errorDetails>}]

``parse`` never raises for a str or bytes (MemoryError aside); it returns
a ``Call``, ``CallResult``, ``CallError`` or ``Rejected``. The CallError codes follow
table 7:

* FormationViolation: not UTF-8, not JSON, nested too deep, not an array,
  unknown or non-integer message type, too many elements, an element of the
  wrong JSON type, a unique id that is not a string of at most 36 characters
  (table 3);
* ProtocolError: too few elements ("incomplete");
* GenericError: larger than ``max_frame_size`` (the frame may be perfectly
  formed; the limit is ours, so no more specific code applies). The
  default differs per interpreter, see DEFAULT_MAX_FRAME_SIZE.

NotImplemented / NotSupported depend on the protocol and are decided by the
session, not here.
"""

import sys

try:
    import ujson as json
except ImportError:
    import json

from . import errors, jsontext

# The JSON entry points frames go through. use_json swaps them: the
# CPython tier hands in its C JSON code without json's per-call wrappers
# (ocppj_aio.speedups), whose loads refuses NaN and Infinity itself.
_strict_loads = None
_json_dumps = json.dumps


def use_json(strict_loads, dumps):
    """Parse frames with ``strict_loads`` (which must refuse whatever is not
    RFC 8259 JSON, NaN and Infinity included, by raising ValueError) and
    write them with ``dumps`` (json.dumps's output for the same value)."""
    global _strict_loads, _json_dumps
    _strict_loads = strict_loads
    _json_dumps = dumps


CALL = 2
CALLRESULT = 3
CALLERROR = 4

MAX_UNIQUE_ID_LENGTH = 36  # OCPP-J 1.6 table 3: "to allow for GUIDs"

# Unique id of a CALLERROR answering a frame whose own id cannot be read.
# OCPP-J 1.6 and its errata do not say what to use; "-1" is never produced
# by our id generator and is what most implementations send.
PLACEHOLDER_ID = "-1"

# Measured in what was handed in: characters for str, bytes for bytes.
# No schema bounds a 1.6 frame (GetConfiguration.conf, SendLocalList and
# MeterValues carry unbounded arrays; a 10 000-character certificateChain is
# 60 000 characters once non-ASCII text is \u-escaped), so the limit guards
# memory rather than conformance. CPython: 1 MiB, the default message limit
# of the websockets library, so the session never refuses what the
# transport let through. MicroPython: 32 KiB, because parsing takes a few
# times the frame's size in heap and a QuecPython module has about 512 KB.
if sys.implementation.name == "micropython":
    DEFAULT_MAX_FRAME_SIZE = 32768
else:
    DEFAULT_MAX_FRAME_SIZE = 1048576

# A failed parse is scanned again only for a precise description; above
# this size the description stays generic.
WORDING_SCAN_LIMIT = 65536

# The deepest 1.6 frame (SetChargingProfile: array > payload >
# csChargingProfiles > chargingSchedule > chargingSchedulePeriod > item) nests
# 6 levels; 32 leaves room for DataTransfer-style extensions while keeping
# the decoders far from any recursion limit.
DEFAULT_MAX_DEPTH = 32

try:
    _RecursionError: type[Exception] = RecursionError
except NameError:  # MicroPython ports without it raise RuntimeError
    _RecursionError = RuntimeError


class Call:
    """A well-formed CALL frame."""

    message_type = CALL
    error = None  # a Rejected carries the OCPPError it is refused with
    # the parsed message while its nesting is unmeasured (parse's measure_later)
    unmeasured = None

    def __init__(self, unique_id, action, payload):
        self.unique_id = unique_id
        self.action = action
        self.payload = payload


class CallResult:
    """A well-formed CALLRESULT frame."""

    message_type = CALLRESULT
    error = None
    unmeasured = None

    def __init__(self, unique_id, payload):
        self.unique_id = unique_id
        self.payload = payload


class CallError:
    """A well-formed CALLERROR frame."""

    message_type = CALLERROR
    error = None
    unmeasured = None

    def __init__(self, unique_id, code, description, details):
        self.unique_id = unique_id
        self.code = code
        self.description = description
        self.details = details


class Rejected:
    """A frame that failed the checks. ``error`` is the OCPPError to answer
    with; ``unique_id`` the frame's id if it could be read (a string of at
    most 36 characters), else None; ``message_type`` 2, 3 or 4 when known.
    ``answerable`` is False for responses: a CALLERROR answers a CALL, never
    a CALLRESULT or CALLERROR (which would also let two strict peers bounce
    errors at each other forever)."""

    unmeasured = None

    def __init__(self, error, unique_id=None, message_type=None):
        self.error = error
        self.unique_id = unique_id
        self.message_type = message_type
        self.answerable = message_type != CALLRESULT and message_type != CALLERROR


def is_valid_unique_id(value):
    return type(value) is str and len(value) <= MAX_UNIQUE_ID_LENGTH


def parse(
    data,
    max_frame_size=DEFAULT_MAX_FRAME_SIZE,
    max_depth=DEFAULT_MAX_DEPTH,
    measure_later=False,
):
    """Parse one WebSocket text message (str, or bytes holding UTF-8).

    ``measure_later``: on CPython a CALL or CALLRESULT comes back with its
    nesting unmeasured, ``frame.unmeasured`` holding the parsed message; the
    caller then measures it (``jsontext.too_deep``) wherever no schema check
    bounds the nesting. (MicroPython's strict scan measures it on the way:
    there ``unmeasured`` stays None.)"""
    if not isinstance(data, str):
        return _parse_bytes(data, max_frame_size, max_depth, measure_later)
    text = data
    if len(text) > max_frame_size:
        return too_large(len(text), max_frame_size, text)
    # A strict parser refuses what is not JSON (the wording is scanned later)
    scanned = _strict_loads is None and jsontext.needs_scan(text)
    if scanned:
        reason = _scan(text, max_depth)
        if reason is not None:
            return not_json(reason, text)
        if not jsontext.ESCAPES_DECODED and "\\u" in text:
            # this json would keep only the low byte of a \u escape
            try:
                text = jsontext.decode_escapes(text)
            except ValueError as exc:
                message_type, unique_id = peek(text)
                description = "frame holds a string this interpreter cannot represent: %s" % exc
                return _formation(description, unique_id, message_type)
    try:
        message = (_strict_loads or json.loads)(text)
    except _RecursionError:
        return not_json(jsontext.TOO_DEEP % max_depth, text)
    except MemoryError:
        raise
    except Exception:
        # The parser refused it. Scan now if not yet, only for the wording:
        # both interpreters then describe the same broken frame the same
        # way. Capped, so junk cannot make us spend more than the parser
        # already did.
        reason = None
        if not scanned and len(text) <= WORDING_SCAN_LIMIT:
            reason = _scan(text, max_depth)
        return not_json(reason or "not accepted by the JSON parser", text)
    frame = shape(message)
    if not scanned:
        if measure_later and frame.error is None and frame.message_type != CALLERROR:
            # Even counting the brackets costs more than the rest of parsing
            # a small frame; a schema check that runs bounds the nesting, so
            # the caller measures only where none does.
            frame.unmeasured = message
        elif jsontext.may_be_too_deep(text, max_depth) and jsontext.too_deep(message, max_depth):
            return not_json(jsontext.TOO_DEEP % max_depth, text)
    return frame


def _parse_bytes(data, max_frame_size, max_depth, measure_later):
    """parse() of what is not a str: bytes holding UTF-8 (measured in bytes
    against ``max_frame_size``) are parsed as their text."""
    if not isinstance(data, (bytes, bytearray)):
        raise errors.UsageError("frames are str or bytes, not %s" % type(data))
    raw = bytes(data)
    if len(raw) > max_frame_size:
        return too_large(len(raw), max_frame_size, None)
    try:
        text = raw.decode("utf-8")
    except MemoryError:
        raise
    except Exception:
        text = None
    if text is None or not (jsontext.DECODE_CHECKS_UTF8 or jsontext.is_utf8(raw)):
        return Rejected(errors.FormationViolation("frame is not valid UTF-8 (OCPP-J 4.1.2)"))
    # Its text is no longer than the bytes: within max_frame_size too.
    return parse(text, max_frame_size, max_depth, measure_later)


def _scan(text, max_depth):
    try:
        return jsontext.check(text.encode("utf-8"), max_depth)
    except MemoryError:
        raise
    except Exception:
        return "text cannot be encoded as UTF-8"


def shape(message):
    """The Call, CallResult or CallError the parsed JSON ``message`` is, or
    the Rejected saying which rule of OCPP-J section 4 it breaks.

    OCPP-J 4.2.1/4.2.2 allow ``null`` as a notation for an empty payload
    (while recommending ``{}``), so null is read as ``{}``.
    """
    if type(message) is not list:
        return _formation("frame is not a JSON array")
    count = len(message)
    if count == 0:
        return Rejected(errors.ProtocolError("frame is an empty array"))
    message_type = message[0]
    unique_id = None
    if count > 1 and is_valid_unique_id(message[1]):
        unique_id = message[1]
    if type(message_type) is not int:
        return _formation("message type id is not an integer", unique_id)
    if message_type == CALL:
        name = "CALL"
        expected = 4
    elif message_type == CALLRESULT:
        name = "CALLRESULT"
        expected = 3
    elif message_type == CALLERROR:
        name = "CALLERROR"
        expected = 5
    else:
        # Table 2 lists 2, 3 and 4 only; the payload of anything else is
        # ignored (4.1.3) and the sender told so.
        return _formation("unknown message type id %d" % message_type, unique_id)
    if count < expected:
        error = errors.ProtocolError(
            "%s frame is incomplete: %d of %d elements" % (name, count, expected)
        )
        return Rejected(error, unique_id, message_type)
    if count > expected:
        description = "%s frame has %d elements instead of %d" % (name, count, expected)
        return _formation(description, unique_id, message_type)
    if type(message[1]) is not str:
        return _formation("unique id is not a string", None, message_type)
    if unique_id is None:
        return _formation("unique id is longer than 36 characters", None, message_type)
    if message_type == CALLERROR:
        return _call_error(unique_id, message)
    if message_type == CALL and type(message[2]) is not str:
        return _formation("action is not a string", unique_id, CALL)
    payload = message[count - 1]
    if payload is None:
        payload = {}
    if type(payload) is not dict:
        return _formation("%s payload is not a JSON object" % name, unique_id, message_type)
    if message_type == CALLRESULT:
        return CallResult(unique_id, payload)
    return Call(unique_id, message[2], payload)


def _call_error(unique_id, message):
    code = message[2]
    description = message[3]
    details = message[4]
    if type(code) is not str:
        return _formation("errorCode is not a string", unique_id, CALLERROR)
    if type(description) is not str:
        return _formation("errorDescription is not a string", unique_id, CALLERROR)
    if type(details) is not dict:
        return _formation("errorDetails is not a JSON object", unique_id, CALLERROR)
    return CallError(unique_id, code, description, details)


def _formation(description, unique_id=None, message_type=None):
    return Rejected(errors.FormationViolation(description), unique_id, message_type)


def too_large(size, limit, text):
    """The Rejected for a frame of ``size`` over ``limit``; ``text`` (None
    for bytes) is peeked for its id."""
    error = errors.GenericError("frame of %d exceeds the receiver's limit of %d" % (size, limit))
    message_type, unique_id = peek(text)
    return Rejected(error, unique_id, message_type)


def not_json(reason, text):
    """The Rejected for a frame that is not one JSON value, ``reason`` saying
    why; its id is peeked from ``text``."""
    message_type, unique_id = peek(text)
    return _formation("frame is not valid JSON: " + reason, unique_id, message_type)


def peek(text):
    """(message type, unique id) read from the start of a frame that could
    not be parsed whole, so the answer can still carry its id; either part
    is None when it cannot be read. Only a short prefix is examined."""
    if text is None:
        return None, None
    head = text[:64]
    n = len(head)
    i = _skip_blanks(head, 0, n)
    if i >= n or head[i] != "[":
        return None, None
    i = _skip_blanks(head, i + 1, n)
    start = i
    while i < n and "0" <= head[i] <= "9":
        i += 1
    if i == start or i - start > 3:
        return None, None
    message_type = int(head[start:i])
    i = _skip_blanks(head, i, n)
    if i >= n or head[i] != ",":
        return message_type, None
    i = _skip_blanks(head, i + 1, n)
    if i >= n or head[i] != '"':
        return message_type, None
    end = head.find('"', i + 1)
    if end < 0:
        return message_type, None
    unique_id = head[i + 1 : end]
    if "\\" in unique_id or not is_valid_unique_id(unique_id):
        return message_type, None
    return message_type, unique_id


def _skip_blanks(text, i, n):
    while i < n and text[i] in " \t\r\n":
        i += 1
    return i


def _dumps(value):
    try:
        return _json_dumps(value)
    except MemoryError:
        raise
    except Exception as exc:
        raise errors.PayloadTypeError("payload is not JSON-serialisable: %s" % exc)


def call_text(unique_id, action, payload):
    return _dumps([CALL, unique_id, action, payload])


def result_text(unique_id, payload):
    return _dumps([CALLRESULT, unique_id, payload])


def error_text(unique_id, code, description, details):
    return _dumps([CALLERROR, unique_id, code, description, details])
