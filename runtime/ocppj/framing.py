"""OCPP-J 1.6 message frames (section 4): parse one text, emit frame texts.

    CALL        [2, "<UniqueId>", "<Action>", {<Payload>}]
    CALLRESULT  [3, "<UniqueId>", {<Payload>}]
    CALLERROR   [4, "<UniqueId>", "<errorCode>", "<errorDescription>", {<errorDetails>}]

``parse`` never raises for any text; it returns a ``Call``, ``CallResult``,
``CallError`` or ``Rejected``. The CallError codes follow table 7:

* FormationViolation: not UTF-8, not JSON, nested too deep, not an array,
  unknown or non-integer message type, too many elements, an element of the
  wrong JSON type, a unique id that is not a string of at most 36 characters
  (table 3);
* ProtocolError: too few elements ("incomplete");
* GenericError: larger than ``max_frame_size`` (the frame may be perfectly
  formed; the limit is ours, so no more specific code applies). The
  default differs per interpreter, see DEFAULT_MAX_FRAME_SIZE.

NotImplemented / NotSupported depend on the protocol and are decided by the
core, not here.
"""

try:
    import ujson as json
except ImportError:
    import json

from . import errors
from . import jsontext

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
# of the websockets library, so the core never refuses what the transport
# let through. MicroPython: 32 KiB, because parsing takes a few times the
# frame's size in heap and a QuecPython module has about 512 KB in all.
try:
    import sys

    _ON_MICROPYTHON = sys.implementation.name == "micropython"
except Exception:
    _ON_MICROPYTHON = False
if _ON_MICROPYTHON:
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
    _RecursionError = RecursionError
except NameError:  # MicroPython ports without it raise RuntimeError
    _RecursionError = RuntimeError

_ELEMENT_COUNT = {CALL: 4, CALLRESULT: 3, CALLERROR: 5}
_TYPE_NAMES = {CALL: "CALL", CALLRESULT: "CALLRESULT", CALLERROR: "CALLERROR"}


class Call:
    message_type = CALL

    def __init__(self, unique_id, action, payload):
        self.unique_id = unique_id
        self.action = action
        self.payload = payload


class CallResult:
    message_type = CALLRESULT

    def __init__(self, unique_id, payload):
        self.unique_id = unique_id
        self.payload = payload


class CallError:
    message_type = CALLERROR

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

    message_type = None

    def __init__(self, error, unique_id=None, message_type=None):
        self.error = error
        self.unique_id = unique_id
        self.message_type = message_type
        self.answerable = message_type != CALLRESULT and message_type != CALLERROR


def is_valid_unique_id(value):
    return type(value) is str and len(value) <= MAX_UNIQUE_ID_LENGTH


def parse(data, max_frame_size=DEFAULT_MAX_FRAME_SIZE, max_depth=DEFAULT_MAX_DEPTH):
    """Parse one WebSocket text message (str, or bytes holding UTF-8)."""
    raw = None
    if isinstance(data, str):
        text = data
        if len(text) > max_frame_size:
            return _too_large(len(text), max_frame_size, text)
    elif isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
        if len(raw) > max_frame_size:
            return _too_large(len(raw), max_frame_size, None)
        try:
            text = raw.decode("utf-8")
        except Exception:
            return Rejected(_formation("frame is not valid UTF-8 (OCPP-J 4.1.2)"))
    else:
        raise errors.UsageError("frames are str or bytes, not %s" % type(data))

    scanned = jsontext.needs_scan(text)
    if scanned:
        reason = _scan(text, raw, max_depth)
        if reason is not None:
            return _broken_json(reason, text)
    try:
        message = json.loads(text)
    except _RecursionError:
        return _broken_json(_too_deep(max_depth), text)
    except Exception:
        # Scan now if not yet, only for its wording: both interpreters then
        # describe the same broken frame the same way. Capped, so junk
        # cannot make us spend more than the parser already did.
        reason = None
        if not scanned and len(text) <= WORDING_SCAN_LIMIT:
            reason = _scan(text, raw, max_depth)
        return _broken_json(reason or "not accepted by the JSON parser", text)
    if (
        not scanned
        and jsontext.may_be_too_deep(text, max_depth)
        and jsontext.too_deep(message, max_depth)
    ):
        return _broken_json(_too_deep(max_depth), text)
    return _parse_message(message)


def _too_deep(max_depth):
    return "nesting deeper than %d" % max_depth


def _scan(text, raw, max_depth):
    try:
        if raw is None:
            raw = text.encode("utf-8")
        return jsontext.check(raw, max_depth)
    except Exception:
        return "text cannot be encoded as UTF-8"


def _parse_message(message):
    if type(message) is not list:
        return Rejected(_formation("frame is not a JSON array"))
    count = len(message)
    if count == 0:
        return Rejected(errors.ProtocolError("frame is an empty array"))
    message_type = message[0]
    unique_id = None
    if count > 1 and is_valid_unique_id(message[1]):
        unique_id = message[1]
    if type(message_type) is not int:
        return Rejected(_formation("message type id is not an integer"), unique_id)
    expected = _ELEMENT_COUNT.get(message_type)
    if expected is None:
        # Table 2 lists 2, 3 and 4 only; the payload of anything else is
        # ignored (4.1.3) and the sender told so.
        return Rejected(
            _formation("unknown message type id %d" % message_type), unique_id
        )
    name = _TYPE_NAMES[message_type]
    if count < expected:
        error = errors.ProtocolError(
            "%s frame is incomplete: %d of %d elements" % (name, count, expected)
        )
        return Rejected(error, unique_id, message_type)
    if count > expected:
        error = _formation(
            "%s frame has %d elements instead of %d" % (name, count, expected)
        )
        return Rejected(error, unique_id, message_type)
    if type(message[1]) is not str:
        return Rejected(_formation("unique id is not a string"), None, message_type)
    if unique_id is None:
        return Rejected(
            _formation("unique id is longer than 36 characters"), None, message_type
        )
    if message_type == CALL:
        return _parse_call(unique_id, message)
    if message_type == CALLRESULT:
        payload = _payload(message[2])
        if payload is None:
            return Rejected(
                _formation("CALLRESULT payload is not a JSON object"),
                unique_id,
                CALLRESULT,
            )
        return CallResult(unique_id, payload)
    return _parse_call_error(unique_id, message)


def _parse_call(unique_id, message):
    action = message[2]
    if type(action) is not str:
        return Rejected(_formation("action is not a string"), unique_id, CALL)
    payload = _payload(message[3])
    if payload is None:
        return Rejected(
            _formation("CALL payload is not a JSON object"), unique_id, CALL
        )
    return Call(unique_id, action, payload)


def _parse_call_error(unique_id, message):
    code = message[2]
    description = message[3]
    details = message[4]
    problem = None
    if type(code) is not str:
        problem = "errorCode is not a string"
    elif type(description) is not str:
        problem = "errorDescription is not a string"
    elif type(details) is not dict:
        problem = "errorDetails is not a JSON object"
    if problem is not None:
        return Rejected(_formation(problem), unique_id, CALLERROR)
    return CallError(unique_id, code, description, details)


def _payload(value):
    """The payload dict, or None when it is not an object.

    OCPP-J 4.2.1/4.2.2 allow ``null`` as a notation for an empty payload
    (while recommending ``{}``), so null is read as ``{}``.
    """
    if value is None:
        return {}
    if type(value) is dict:
        return value
    return None


def _formation(description):
    return errors.FormationViolationError(description)


def _too_large(size, limit, text):
    error = errors.GenericError(
        "frame of %d exceeds the receiver's limit of %d" % (size, limit)
    )
    message_type, unique_id = peek(text)
    return Rejected(error, unique_id, message_type)


def _broken_json(reason, text):
    message_type, unique_id = peek(text)
    error = _formation("frame is not valid JSON: " + reason)
    return Rejected(error, unique_id, message_type)


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


# CPython's json.dumps makes a new C encoder on every call, which costs more
# than encoding a small frame does. One encoder with json.dumps's settings,
# made once, writes the same text. No circular-reference markers: they
# would be shared between calls (and threads), and a cycle still fails, as
# RecursionError. Elsewhere (MicroPython, no C encoder): json.dumps.
try:
    from json.encoder import JSONEncoder, c_make_encoder, encode_basestring_ascii

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
    _probe = [3, "-1", {"a": [1.5, None, True], "b": "\\"}]
    if "".join(_encoder(_probe, 0)) != json.dumps(_probe):
        _encoder = None
    del _probe
except (ImportError, TypeError):
    _encoder = None


def _dumps(value):
    try:
        if _encoder is not None:
            return "".join(_encoder(value, 0))
        return json.dumps(value)
    except Exception as exc:
        raise errors.PayloadTypeError("payload is not JSON-serialisable: %s" % exc)


def call_text(unique_id, action, payload):
    return _dumps([CALL, unique_id, action, payload])


def result_text(unique_id, payload):
    return _dumps([CALLRESULT, unique_id, payload])


def error_text(unique_id, code, description, details):
    return _dumps([CALLERROR, unique_id, code, description, details])
