"""Why a frame is refused: the ``Rejected`` results of framing.parse.

Imported the first time a frame fails a check, is not a str, answers no
CALL of ours or a CALLERROR comes in (on CPython also when a frame with
many brackets needs its nesting judged, see ``too_deep_refused``), so a device session with a well behaved peer never
loads this module; ``framing.Rejected``, ``framing.peek`` and
``framing.CallError`` are these. The CallError codes (OCPP-J 1.6 table 7)
are listed in framing.py.
"""

from . import errors, events, jsontext
from .framing import (
    CALL,
    CALLERROR,
    CALLRESULT,
    PLACEHOLDER_ID,
    WORDING_SCAN_LIMIT,
    Call,
    CallResult,
    _scan,
    error_text,
    is_valid_unique_id,
    parse,
)


class CallError:
    """A well-formed CALLERROR frame (framing.parse's result for one)."""

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

    message_type = None

    def __init__(self, error, unique_id=None, message_type=None):
        self.error = error
        self.unique_id = unique_id
        self.message_type = message_type
        self.answerable = message_type != CALLRESULT and message_type != CALLERROR


# What jsontext.check says of text that is not JSON, by its reason number
# there; "%d" is the offset or the nesting limit.
SCAN_REASONS = (
    "object key is not a string followed by ':'",
    "unexpected end of text",
    "nesting deeper than %d",
    "unexpected character at offset %d",
    "text after the JSON value",
    "expected ',' or a closing bracket at offset %d",
)


def parse_bytes(data, max_frame_size, max_depth, measure_later):
    """framing.parse of what is not a str: bytes holding UTF-8 (measured in
    bytes against ``max_frame_size``) are parsed as their text."""
    if not isinstance(data, (bytes, bytearray)):
        raise errors.UsageError("frames are str or bytes, not %s" % type(data))
    raw = bytes(data)
    if len(raw) > max_frame_size:
        return too_large(len(raw), max_frame_size, None)
    try:
        text = raw.decode("utf-8")
    except Exception:
        return not_utf8()
    # Its text is no longer than the bytes: within max_frame_size too.
    return parse(text, max_frame_size, max_depth, measure_later)


def too_large(size, limit, text):
    """A frame over ``limit``; ``text`` (None for bytes) is peeked for its id."""
    error = errors.GenericError("frame of %d exceeds the receiver's limit of %d" % (size, limit))
    message_type, unique_id = peek(text)
    return Rejected(error, unique_id, message_type)


def not_utf8():
    return Rejected(_formation("frame is not valid UTF-8 (OCPP-J 4.1.2)"))


def broken_json(reason, text, max_depth):
    """A frame that is not one JSON value; ``reason`` None for "nested
    deeper than ``max_depth``", True or False for "the parser refused it",
    True when the text is not scanned yet."""
    if reason is None:
        reason = SCAN_REASONS[2] % max_depth
    elif type(reason) is bool:
        # Scan now if not yet, only for its wording: both interpreters then
        # describe the same broken frame the same way. Capped, so junk
        # cannot make us spend more than the parser already did.
        rescan = reason and len(text) <= WORDING_SCAN_LIMIT
        reason = (rescan and _scan(text, max_depth)) or "not accepted by the JSON parser"
    message_type, unique_id = peek(text)
    error = _formation("frame is not valid JSON: " + reason)
    return Rejected(error, unique_id, message_type)


def shape(message):
    """The frame the parsed JSON ``message`` is, or the Rejected saying
    which rule of OCPP-J section 4 it breaks."""
    return _parse_message(message)


_ELEMENT_COUNT = {CALL: 4, CALLRESULT: 3, CALLERROR: 5}
_TYPE_NAMES = {CALL: "CALL", CALLRESULT: "CALLRESULT", CALLERROR: "CALLERROR"}


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
        return Rejected(_formation("unknown message type id %d" % message_type), unique_id)
    name = _TYPE_NAMES[message_type]
    if count < expected:
        error = errors.ProtocolError(
            "%s frame is incomplete: %d of %d elements" % (name, count, expected)
        )
        return Rejected(error, unique_id, message_type)
    if count > expected:
        error = _formation("%s frame has %d elements instead of %d" % (name, count, expected))
        return Rejected(error, unique_id, message_type)
    if type(message[1]) is not str:
        return Rejected(_formation("unique id is not a string"), None, message_type)
    if unique_id is None:
        return Rejected(_formation("unique id is longer than 36 characters"), None, message_type)
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
        return Rejected(_formation("CALL payload is not a JSON object"), unique_id, CALL)
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


# -- CALLs refused by the core and the router --------------------------------


def call_refused(connection, unique_id, action):
    """The OCPPError refusing a peer's CALL before its payload is read, in
    the order Connection._call_received checks: a duplicate id, an unknown
    action, one not for this end, one CALL too many."""
    incoming = connection._incoming
    if unique_id in incoming:
        return duplicate_call(unique_id)
    if action not in connection.protocol.ACTIONS:
        return unknown_action(action)
    if not connection._allowed(action, False):
        return not_for_us(action, connection.role)
    return too_many_calls(len(incoming))


def duplicate_call(unique_id):
    # 4.2.3 names "an existing call with the same unique identifier is being
    # handled already" as a CallError situation, table 7 has no code for it.
    return errors.GenericError(
        "unique id %s belongs to a CALL still being handled (OCPP-J 4.1.4)" % unique_id
    )


def unknown_action(action):
    # Descriptions echo peer strings; keep them short.
    if len(action) > 40:
        action = action[:40] + "..."
    return errors.NotImplementedCallError("unknown action %s" % action)


def not_for_us(action, role):
    return errors.NotSupportedError("%s is sent by the %s, not to it" % (action, role))


def too_many_calls(count):
    return errors.GenericError("%d CALLs are still unanswered (OCPP-J 4.1.1 allows one)" % count)


def invalid_payload(protocol, action, exc):
    """The OCPPError for a payload whose validation raised ``exc``."""
    if not isinstance(exc, protocol.ValidationError):
        # A validator crashing on odd input is our bug, not the peer's.
        return errors.InternalError()
    cls = errors.error_class(getattr(exc, "code", None))
    if cls is None:
        cls = errors.FormationViolationError
    path = getattr(exc, "path", "")
    rule = getattr(exc, "rule", "")
    return cls(
        "%s payload: %s" % (action, errors.describe_validation(exc)),
        {"path": path, "rule": rule},
    )


def undecodable(action, request):
    kind = "response"
    if request:
        kind = "request"
    return errors.FormationViolationError("%s %s payload cannot be decoded" % (action, kind))


def no_handler(action):
    return errors.NotSupportedError("no handler for %s" % action)


def unreadable_fields(action):
    return errors.FormationViolationError("%s request fields cannot be read" % action)


def refuse_frame(connection, frame, out):
    """Reports (and answers, if it may be answered) the Rejected ``frame``
    a Connection received."""
    call = connection._outstanding
    if not frame.answerable and call is not None and frame.unique_id == call[0]:
        # The peer did answer our CALL (4.1.1: "responded to"), badly.
        connection._outstanding = None
        out.append(events.ResultRejected(call[0], call[1], frame.error))
    else:
        refuse(connection, frame.unique_id, frame.error, frame.answerable, out)


def too_deep_refused(connection, frame, text, checked, out):
    """For a frame from ``parse(..., measure_later=True)``: whether it is
    refused for its nesting (reported in ``out`` as parse's Rejected would
    have been). ``checked``: its payload passed its action's schema check.
    Every 1.6 object refuses properties it does not name, so a payload that
    passed nests no deeper than the protocol's PAYLOAD_DEPTH; only then is
    the nesting left unmeasured."""
    bound = getattr(connection.protocol, "PAYLOAD_DEPTH", None)
    max_depth = connection.max_depth
    if checked and bound is not None and bound + 1 <= max_depth:
        return False
    # the bracket count first: cheaper than a walk, and enough for most
    few = type(text) is str and not jsontext.may_be_too_deep(text, max_depth)
    if not few and jsontext.too_deep(frame.unmeasured, max_depth):
        refuse_frame(connection, broken_json(None, text, max_depth), out)
        return True
    del frame.unmeasured  # measured now: as parse returns it eagerly
    return False


def answer_received(connection, frame, text, out):
    """Connection.receive_text of a CALLRESULT or CALLERROR that is not the
    answer to our outstanding CALL (UnmatchedResponse), or a CALLERROR that
    is (CallErrorReceived)."""
    call = connection._outstanding
    unique_id = frame.unique_id
    if call is not None and unique_id == call[0]:
        connection._outstanding = None
        error = errors.from_call_error(frame.code, frame.description, frame.details)
        out.append(events.CallErrorReceived(unique_id, call[1], error))
        return
    if frame.unmeasured is not None:
        if too_deep_refused(connection, frame, text, False, out):
            return
    reason = "unknown"
    if unique_id in connection._late_ids:
        reason = "late"
    out.append(events.UnmatchedResponse(unique_id, frame.message_type, reason, frame))


def refuse(connection, unique_id, error, answerable, out, action=None):
    """Reports refused input to ``out`` as FrameRejected and, when it is
    ``answerable`` and the outbox has room, queues the CALLERROR."""
    from .core import OUTBOX_ERROR_LIMIT

    answer_id = None
    if answerable and len(connection._outbox) < OUTBOX_ERROR_LIMIT:
        answer_id = unique_id
        if answer_id is None:
            answer_id = PLACEHOLDER_ID
        connection._outbox.append(error_frame(answer_id, error))
    out.append(events.FrameRejected(unique_id, error, answer_id is not None, answer_id, action))


def send_error(connection, call_id, error):
    """Connection.send_error."""
    if call_id not in connection._incoming:  # closed: nothing is owed
        from . import misuse

        raise misuse.not_owed(connection, call_id)
    frame = error_frame(call_id, error)
    del connection._incoming[call_id]
    connection._outbox.append(frame)


def error_frame(unique_id, error):
    """The CALLERROR text answering ``unique_id`` with the OCPPError
    ``error``; UsageError when it cannot go on the wire."""
    if (
        not isinstance(error, errors.OCPPError)
        or errors.error_class(error.code) is None
        or type(error.description) is not str
        or type(error.details) is not dict
    ):
        from . import misuse

        raise misuse.bad_call_error(error)
    return error_text(unique_id, error.code, error.description, error.details)


def answer_error(connection, event, exc):
    """(answer, problem) of Router.complete for a CALL that gets a CALLERROR:
    ``exc`` is an OCPPError to send as it is, or what went wrong (a handler's
    crash, the UsageError that refused its response), answered InternalError
    with a generic description (internals stay private) and reported as the
    problem."""
    problem = None
    answer = None
    if isinstance(exc, errors.OCPPError):
        error = exc
    else:
        problem = exc
        error = errors.InternalError()
    # If the application built an unsendable error (unknown code, details
    # not a dict), fall back to InternalError.
    try:
        connection.send_error(event.unique_id, error)
        answer = "error"
    except errors.UsageError as refused:
        if not isinstance(refused, (errors.SessionClosedError, errors.NoSuchCallError)):
            try:
                connection.send_error(event.unique_id, errors.InternalError())
                answer = "error"
            except errors.UsageError:
                pass
        if problem is None:
            problem = refused
    return answer, problem


# -- what a ChargePoint reports ----------------------------------------------


def report(name, message, problem):
    """ChargePoint._report of the connection ``name``: logged, or printed
    where there is no logging module."""
    if problem is not None:
        message = "%s: %r" % (message, problem)
    try:
        import logging
    except ImportError:
        print("ocppj", name, message)
        return
    logging.getLogger("ocppj").warning("%s: %s", name, message)


def report_problem(charge_point, event, problem, after):
    """What went wrong serving the CALL ``event``: in its handler (or in
    answering it), or in one of its ``@after`` hooks when ``after``."""
    if after:
        charge_point._report("@after for %s" % event.action, problem)
    else:
        charge_point._report("handler for %s %s" % (event.action, event.unique_id), problem)


def report_event(charge_point, event):
    """An event ChargePoint._on_event reports instead of keeping: input
    dropped or refused, or the outcome of an awaited CALL with the outcome
    store full."""
    kind = event.kind
    if kind == "UnmatchedResponse":
        charge_point._report("dropped %s response %s" % (event.reason, event.unique_id))
    elif kind == "FrameRejected":
        charge_point._report("rejected frame", event.error)
    else:
        del charge_point._awaiting[event.unique_id]
        charge_point._report("outcome store full; dropping %s" % event.unique_id)


def raiser(error):
    """A handler stand-in that refuses the CALL with ``error``."""

    def refuse(**kwargs):
        raise error

    return refuse
