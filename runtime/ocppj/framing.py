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
core, not here. What a refused frame gets (``Rejected``, its description,
``peek``) lives in rejection.py, imported the first time a frame fails, and
so does ``CallError``: a peer's CALLERROR is something gone wrong too.
"""

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


class Call:
    message_type = CALL
    error = None  # a Rejected carries the OCPPError it is refused with
    # the parsed message while its nesting is unmeasured (parse's measure_later)
    unmeasured = None

    def __init__(self, unique_id, action, payload):
        self.unique_id = unique_id
        self.action = action
        self.payload = payload


class CallResult:
    message_type = CALLRESULT
    error = None
    unmeasured = None

    def __init__(self, unique_id, payload):
        self.unique_id = unique_id
        self.payload = payload


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
    caller then owes it ``rejection.too_deep_refused`` wherever no schema
    check bounds the nesting. (MicroPython's strict scan measures it on the
    way: there ``unmeasured`` stays None.)"""
    if not isinstance(data, str):
        # WebSocket text messages arrive as str: bytes (and what is neither)
        # are rejection.py's, which decodes them and comes back here.
        from . import rejection

        return rejection.parse_bytes(data, max_frame_size, max_depth, measure_later)
    text = data
    if len(text) > max_frame_size:
        from . import rejection

        return rejection.too_large(len(text), max_frame_size, text)

    # A strict parser refuses what is not JSON (the wording is scanned later)
    scanned = _strict_loads is None and jsontext.needs_scan(text)
    reason = None
    if scanned:
        reason = _scan(text, max_depth)
    if reason is None:
        try:
            message = (_strict_loads or json.loads)(text)
            frame = _frame(message)
            if not scanned:
                if measure_later and frame is not None and frame.message_type != CALLERROR:
                    # Even counting the brackets costs more than the rest of
                    # parsing a small frame; a schema check that runs bounds
                    # the nesting, so the caller measures only where none does.
                    frame.unmeasured = message
                elif jsontext.may_be_too_deep(text, max_depth) and jsontext.too_deep(
                    message, max_depth
                ):
                    raise _RecursionError()  # as if the parser had given up
            if frame is not None:
                return frame
            from . import rejection

            return rejection.shape(message)
        except _RecursionError:
            pass
        except Exception:
            # The parser refused it: True if the scan is still owed (for the
            # wording only, rejection.broken_json), False if it found nothing
            reason = not scanned
    # Here the text is not JSON (reason) or nests too deep (reason None).
    from . import rejection

    return rejection.broken_json(reason, text, max_depth)


def _frame(message):
    """The Call, CallResult or CallError the parsed JSON ``message`` is, or
    None when it breaks a rule (rejection.shape then says which).

    OCPP-J 4.2.1/4.2.2 allow ``null`` as a notation for an empty payload
    (while recommending ``{}``), so null is read as ``{}``.
    """
    if type(message) is not list or len(message) < 3:
        return None
    kind = message[0]
    unique_id = message[1]
    if type(kind) is not int or not is_valid_unique_id(unique_id):
        return None
    count = len(message)
    if kind == CALLERROR:
        if (
            count == 5
            and type(message[2]) is str
            and type(message[3]) is str
            and type(message[4]) is dict
        ):
            from . import rejection

            return rejection.CallError(unique_id, message[2], message[3], message[4])
        return None
    payload = message[count - 1]
    if payload is None:
        payload = {}
    if type(payload) is not dict:
        return None
    if kind == CALLRESULT and count == 3:
        return CallResult(unique_id, payload)
    if kind == CALL and count == 4 and type(message[2]) is str:
        return Call(unique_id, message[2], payload)
    return None


def _scan(text, max_depth):
    try:
        return jsontext.check(text.encode("utf-8"), max_depth)
    except Exception:
        return "text cannot be encoded as UTF-8"


def _dumps(value):
    try:
        return _json_dumps(value)
    except Exception as exc:
        from . import misuse

        raise misuse.not_serialisable(exc)


def call_text(unique_id, action, payload):
    return _dumps([CALL, unique_id, action, payload])


def result_text(unique_id, payload):
    return _dumps([CALLRESULT, unique_id, payload])


def error_text(unique_id, code, description, details):
    return _dumps([CALLERROR, unique_id, code, description, details])


def __getattr__(name):
    # Rejected, peek and CallError are rejection.py's, imported on first use.
    if name == "Rejected" or name == "peek" or name == "CallError":
        from . import rejection

        value = getattr(rejection, name)
        globals()[name] = value
        return value
    raise AttributeError(name)


if not errors.MODULE_GETATTR:
    from .rejection import CallError, Rejected, peek
