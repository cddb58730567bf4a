"""The sans-IO OCPP-J session: text and ``now`` go in, events and frames out.

The core holds no socket, thread, task or clock. A pump feeds it:

    events = conn.receive_text(text, now)      # one WebSocket message
    call_id = conn.send_call(request, now)     # our CALL (sent or queued)
    conn.send_result(call_id, response)        # answer a CallReceived
    conn.send_error(call_id, ocpp_error)
    for frame in conn.data_to_send(): ws.send(frame)
    deadline = conn.next_deadline()            # sleep until then, then
    events = conn.handle_timer(now)

Times are plain numbers in one clock of the pump's choice (seconds).

Rules it enforces:

* OCPP-J 4.1.1: at most one CALL of ours is outstanding. Further CALLs wait
  in a bounded FIFO (``queue_limit``; QueueFullError beyond). Each CALL's
  timeout counts from ``send_call``, queued time included; a queued CALL
  whose time runs out is never sent.
* A CALLRESULT/CALLERROR matches only the outstanding CALL's id. Anything
  else (unknown, late after a timeout, for a queued CALL, duplicate) is an
  ``UnmatchedResponse`` and dropped. Responses are processed after timers:
  a response arriving at or after the deadline is late.
* OCPP-J 4.1.4: the peer's CALL ids must be unique. A CALL reusing the id of
  a CALL we have not answered yet is answered GenericError under that id and
  not processed; the first one still gets its own answer. GenericError
  because 4.2.3 names "an existing call with the same unique identifier is
  being handled already" as a CallError situation but table 7 has no
  specific code for it (FormationViolation is about the frame's structure,
  which is fine here).
* Unknown action: NotImplemented. An action only our own role initiates
  (a CentralSystem receiving Reset): NotSupported. DataTransfer goes both
  ways (1.6 sections 4.3 and 5.6; initiator "Both" in ACTIONS). With
  ``role=None`` direction is not checked.
* The number of CALLs we received and not answered yet is bounded
  (``incoming_limit``); beyond it GenericError. OCPP-J 4.1.1 says a peer
  keeps one outstanding, so the default leaves room for lax peers only.
* Validation per ``validation`` (see validation.py). An incoming CALL that
  fails it is answered with the ValidationError's code, a description naming
  path and rule, and details ``{"path": ..., "rule": ...}``. A CALLRESULT
  that fails it becomes ``ResultRejected``. Outgoing payloads that fail it
  raise OutgoingValidationError and nothing is sent.
"""

from . import errors
from . import events
from . import framing
from .validation import as_validation

CHARGE_POINT = "ChargePoint"
CENTRAL_SYSTEM = "CentralSystem"
ROLES = (CHARGE_POINT, CENTRAL_SYSTEM)

# Initiator of an action either side may send (DataTransfer, 1.6 sections
# 4.3 and 5.6). A protocol that names one initiator for DataTransfer is
# read the same way, hence the list.
BOTH = "Both"
BIDIRECTIONAL_ACTIONS = ("DataTransfer",)

DEFAULT_RESPONSE_TIMEOUT = 30
DEFAULT_QUEUE_LIMIT = 16
DEFAULT_INCOMING_LIMIT = 16

# Frames waiting in data_to_send beyond which we stop queueing CALLERROR
# answers to rejected input (they are still reported). Answers to CALLs and
# our own CALLs are already bounded by incoming_limit and queue_limit.
OUTBOX_ERROR_LIMIT = 64

# Ids of recently timed-out CALLs remembered to label late answers.
LATE_ID_MEMORY = 8


class _OutgoingCall:
    def __init__(self, unique_id, action, frame, deadline, timeout, validate):
        self.unique_id = unique_id
        self.validate = validate
        self.action = action
        self.frame = frame
        self.deadline = deadline
        self.timeout = timeout
        self.sent = False


def _random_prefix():
    try:
        import random
    except ImportError:
        try:
            import urandom as random
        except ImportError:
            return "0"
    try:
        return "%08x%08x" % (random.getrandbits(32), random.getrandbits(32))
    except Exception:
        return "0"


class CounterIds:
    """Default CALL ids: a random prefix per connection plus a counter, so
    ids never repeat on a connection (OCPP-J 4.1.4) and stay far below the
    36 characters of table 3."""

    def __init__(self, prefix=None):
        if prefix is None:
            prefix = _random_prefix()
        self.prefix = prefix
        self.count = 0

    def __call__(self):
        self.count += 1
        return "%s-%d" % (self.prefix, self.count)


class Connection:
    """One OCPP-J connection, seen from ``role`` ("ChargePoint",
    "CentralSystem", or None to skip direction checks)."""

    def __init__(
        self,
        protocol,
        role,
        response_timeout=DEFAULT_RESPONSE_TIMEOUT,
        queue_limit=DEFAULT_QUEUE_LIMIT,
        max_frame_size=framing.DEFAULT_MAX_FRAME_SIZE,
        max_depth=framing.DEFAULT_MAX_DEPTH,
        validation=None,
        incoming_limit=DEFAULT_INCOMING_LIMIT,
        id_factory=None,
    ):
        if role is not None and role not in ROLES:
            raise errors.UsageError(
                "role must be 'ChargePoint', 'CentralSystem' or None, not %r" % (role,)
            )
        if queue_limit < 0 or incoming_limit < 1:
            raise errors.UsageError("queue_limit >= 0 and incoming_limit >= 1")
        if response_timeout <= 0:
            raise errors.UsageError("response_timeout must be positive")
        self.protocol = protocol
        self.role = role
        self.response_timeout = response_timeout
        self.queue_limit = queue_limit
        self.max_frame_size = max_frame_size
        self.max_depth = max_depth
        self.incoming_limit = incoming_limit
        self.validation = as_validation(validation)
        if id_factory is None:
            id_factory = CounterIds()
        self._next_id = id_factory
        self._outstanding = None
        self._queue = []
        self._incoming = {}  # unique id -> action of CALLs we owe an answer
        self._outbox = []
        self._late_ids = []
        self._closed = False

    # ----------------------------------------------------------- state

    @property
    def closed(self):
        return self._closed

    @property
    def outstanding_call(self):
        """Unique id of our CALL waiting for its answer, or None."""
        if self._outstanding is None:
            return None
        return self._outstanding.unique_id

    @property
    def queued_calls(self):
        """Unique ids of our CALLs waiting for their turn, oldest first."""
        return [call.unique_id for call in self._queue]

    @property
    def unanswered_calls(self):
        """Unique ids of the peer's CALLs we have not answered (any order)."""
        return list(self._incoming)

    # ----------------------------------------------------------- output

    def data_to_send(self):
        """Frames to write to the WebSocket, in order; drains them."""
        frames = self._outbox
        self._outbox = []
        return frames

    def next_deadline(self):
        """Earliest time ``handle_timer`` has work, or None."""
        deadline = None
        if self._outstanding is not None:
            deadline = self._outstanding.deadline
        for call in self._queue:
            if deadline is None or call.deadline < deadline:
                deadline = call.deadline
        return deadline

    # ----------------------------------------------------------- our CALLs

    def send_call(self, payload, now, unique_id=None, timeout=None, validate=True):
        """Send (or queue) a CALL for the request object ``payload``; returns
        its unique id. Raises a UsageError subclass on misuse; nothing is
        sent then. ``timeout`` overrides ``response_timeout`` for this CALL;
        ``validate=False`` skips the schema checks of this request and of
        its response (on top of the ``validation`` policy)."""
        self._check_open()
        action, wire = self._outgoing_request(payload, validate)
        unique_id = self._claim_id(unique_id)
        if timeout is None:
            timeout = self.response_timeout
        frame = framing.call_text(unique_id, action, wire)
        call = _OutgoingCall(unique_id, action, frame, now + timeout, timeout, validate)
        if self._outstanding is None and not self._queue:
            self._transmit(call)
        elif len(self._queue) >= self.queue_limit:
            raise errors.QueueFullError(
                "%d CALLs already wait behind %s (queue_limit)"
                % (len(self._queue), self._outstanding.unique_id)
            )
        else:
            self._queue.append(call)
        return unique_id

    def _outgoing_request(self, payload, validate):
        protocol = self.protocol
        action = _action_of(protocol, payload)
        if not protocol.is_request(payload):
            raise errors.PayloadTypeError(
                "%s is a response payload; a CALL needs a request" % action
            )
        if not self._may_send(action):
            raise errors.WrongDirectionError(
                "only the %s sends %s; this end is the %s"
                % (_peer_of(self.role), action, self.role)
            )
        wire = _encode(protocol, payload, action)
        if validate and self.validation.checks_outgoing(action):
            _check_outgoing(protocol.validate_request, protocol, action, wire)
        return action, wire

    def _claim_id(self, unique_id):
        if unique_id is None:
            unique_id = self._next_id()
            while self._id_in_use(unique_id):
                unique_id = self._next_id()
            return unique_id
        if not framing.is_valid_unique_id(unique_id):
            raise errors.InvalidUniqueIdError(
                "unique id must be a string of at most 36 characters (OCPP-J table 3)"
            )
        if self._id_in_use(unique_id):
            raise errors.InvalidUniqueIdError(
                "unique id %s is already used by a pending CALL" % unique_id
            )
        return unique_id

    def _id_in_use(self, unique_id):
        if self._outstanding is not None and self._outstanding.unique_id == unique_id:
            return True
        for call in self._queue:
            if call.unique_id == unique_id:
                return True
        return False

    def _transmit(self, call):
        call.sent = True
        self._outstanding = call
        self._outbox.append(call.frame)

    def _may_send(self, action):
        initiator = self.protocol.ACTIONS[action][0]
        return (
            self.role is None
            or initiator == self.role
            or is_bidirectional(self.protocol, action)
        )

    def _may_receive(self, action):
        initiator = self.protocol.ACTIONS[action][0]
        return (
            self.role is None
            or initiator != self.role
            or is_bidirectional(self.protocol, action)
        )

    # ----------------------------------------------------------- answers

    def send_result(self, call_id, payload):
        """Answer the peer's CALL ``call_id`` with the response object
        ``payload``. On a UsageError the CALL stays unanswered."""
        self._check_open()
        action = self._owed(call_id)
        protocol = self.protocol
        payload_action = _action_of(protocol, payload)
        if protocol.is_request(payload) or payload_action != action:
            raise errors.PayloadTypeError(
                "CALL %s is %s; answer it with a %s response, not a %s %s"
                % (
                    call_id,
                    action,
                    action,
                    payload_action,
                    "request" if protocol.is_request(payload) else "response",
                )
            )
        wire = _encode(protocol, payload, action)
        if self.validation.checks_outgoing(action):
            _check_outgoing(protocol.validate_response, protocol, action, wire)
        frame = framing.result_text(call_id, wire)
        del self._incoming[call_id]
        self._outbox.append(frame)

    def send_error(self, call_id, error):
        """Answer the peer's CALL ``call_id`` with an OCPPError instance."""
        self._check_open()
        self._owed(call_id)
        frame = _error_frame(call_id, error)
        del self._incoming[call_id]
        self._outbox.append(frame)

    def _owed(self, call_id):
        action = self._incoming.get(call_id)
        if action is None:
            raise errors.NoSuchCallError(
                "no unanswered CALL with unique id %r" % (call_id,)
            )
        return action

    # ----------------------------------------------------------- input

    def receive_text(self, text, now):
        """Process one WebSocket message; returns the events it caused.
        Never raises for any str/bytes content; UsageError after close or
        for other types."""
        self._check_open()
        out = self._expire(now)
        frame = framing.parse(text, self.max_frame_size, self.max_depth)
        kind = frame.message_type
        if frame.error is not None:
            self._rejected(frame, out)
        elif kind == framing.CALL:
            self._call_received(frame, out)
        else:
            self._response_received(frame, out)
        self._promote()
        return out

    def handle_timer(self, now):
        """Time out CALLs whose deadline is at or before ``now``."""
        if self._closed:
            return []
        return self._expire(now)

    def _expire(self, now):
        out = []
        call = self._outstanding
        if call is not None and now >= call.deadline:
            self._outstanding = None
            self._remember_late(call.unique_id)
            out.append(
                events.CallTimedOut(call.unique_id, call.action, True, call.timeout)
            )
        if self._queue:
            waiting = []
            for call in self._queue:
                if now >= call.deadline:
                    out.append(
                        events.CallTimedOut(
                            call.unique_id, call.action, False, call.timeout
                        )
                    )
                else:
                    waiting.append(call)
            self._queue = waiting
        self._promote()
        return out

    def _promote(self):
        if self._outstanding is None and self._queue:
            self._transmit(self._queue.pop(0))

    def _remember_late(self, unique_id):
        self._late_ids.append(unique_id)
        if len(self._late_ids) > LATE_ID_MEMORY:
            self._late_ids.pop(0)

    def _rejected(self, frame, out):
        call = self._outstanding
        if (
            not frame.answerable
            and call is not None
            and frame.unique_id == call.unique_id
        ):
            # The peer did answer our CALL (4.1.1: "responded to"), badly.
            self._outstanding = None
            out.append(events.ResultRejected(call.unique_id, call.action, frame.error))
            return
        self._refuse(frame.unique_id, frame.error, frame.answerable, out, None)

    def _refuse(self, unique_id, error, answerable, out, action):
        answer_id = None
        if answerable and len(self._outbox) < OUTBOX_ERROR_LIMIT:
            answer_id = unique_id
            if answer_id is None:
                answer_id = framing.PLACEHOLDER_ID
            self._outbox.append(_error_frame(answer_id, error))
        out.append(
            events.FrameRejected(
                unique_id, error, answer_id is not None, answer_id, action
            )
        )

    def _call_received(self, frame, out):
        unique_id = frame.unique_id
        action = frame.action
        protocol = self.protocol
        error = None
        if unique_id in self._incoming:
            error = errors.GenericError(
                "unique id %s belongs to a CALL still being handled (OCPP-J 4.1.4)"
                % unique_id
            )
        elif action not in protocol.ACTIONS:
            error = errors.NotImplementedCallError("unknown action %s" % _clip(action))
        elif not self._may_receive(action):
            error = errors.NotSupportedError(
                "%s is sent by the %s, not to it" % (action, self.role)
            )
        elif len(self._incoming) >= self.incoming_limit:
            error = errors.GenericError(
                "%d CALLs are still unanswered (OCPP-J 4.1.1 allows one)"
                % len(self._incoming)
            )
        else:
            error, request = self._checked_request(action, frame.payload)
        if error is not None:
            self._refuse(unique_id, error, True, out, action)
            return
        self._incoming[unique_id] = action
        out.append(events.CallReceived(unique_id, action, request, frame.payload))

    def _checked_request(self, action, payload):
        protocol = self.protocol
        if self.validation.checks_incoming(action):
            error = _validation_error(
                protocol, protocol.validate_request, action, payload
            )
            if error is not None:
                return error, None
        try:
            return None, protocol.decode_request(action, payload)
        except Exception:
            return (
                errors.FormationViolationError(
                    "%s request payload cannot be decoded" % action
                ),
                None,
            )

    def _response_received(self, frame, out):
        call = self._outstanding
        if call is None or frame.unique_id != call.unique_id:
            reason = "unknown"
            if frame.unique_id in self._late_ids:
                reason = "late"
            out.append(
                events.UnmatchedResponse(
                    frame.unique_id, frame.message_type, reason, frame
                )
            )
            return
        self._outstanding = None
        if frame.message_type == framing.CALLERROR:
            error = errors.from_call_error(frame.code, frame.description, frame.details)
            out.append(events.CallErrorReceived(call.unique_id, call.action, error))
            return
        protocol = self.protocol
        action = call.action
        payload = frame.payload
        if call.validate and self.validation.checks_incoming(action):
            error = _validation_error(
                protocol, protocol.validate_response, action, payload
            )
            if error is not None:
                out.append(
                    events.ResultRejected(call.unique_id, action, error, payload)
                )
                return
        try:
            response = protocol.decode_response(action, payload)
        except Exception:
            error = errors.FormationViolationError(
                "%s response payload cannot be decoded" % action
            )
            out.append(events.ResultRejected(call.unique_id, action, error, payload))
            return
        out.append(events.ResultReceived(call.unique_id, action, response, payload))

    # ----------------------------------------------------------- closing

    def close(self):
        """End the session. Our pending CALLs come back as CallCancelled
        events; unanswered peer CALLs are forgotten. Frames already queued
        stay available from data_to_send. Idempotent."""
        if self._closed:
            return []
        self._closed = True
        out = []
        if self._outstanding is not None:
            call = self._outstanding
            out.append(events.CallCancelled(call.unique_id, call.action, True))
            self._outstanding = None
        for call in self._queue:
            out.append(events.CallCancelled(call.unique_id, call.action, False))
        self._queue = []
        self._incoming = {}
        return out

    def _check_open(self):
        if self._closed:
            raise errors.SessionClosedError("the connection is closed")


def is_bidirectional(protocol, action):
    return action in BIDIRECTIONAL_ACTIONS or protocol.ACTIONS[action][0] == BOTH


def _peer_of(role):
    if role == CHARGE_POINT:
        return CENTRAL_SYSTEM
    return CHARGE_POINT


def _clip(text, limit=40):
    # Descriptions echo peer strings; keep them short.
    if len(text) > limit:
        return text[:limit] + "..."
    return text


def _action_of(protocol, payload):
    try:
        action = protocol.action_of(payload)
    except Exception:
        action = None
    if action is None:
        raise errors.PayloadTypeError(
            "%r is not a payload object of this protocol" % (type(payload),)
        )
    return action


def _encode(protocol, payload, action):
    try:
        return protocol.encode(payload)
    except Exception as exc:
        raise errors.PayloadTypeError(
            "%s payload cannot be encoded: %s" % (action, exc)
        )


def _check_outgoing(validate, protocol, action, wire):
    try:
        validate(action, wire)
    except protocol.ValidationError as exc:
        raise errors.OutgoingValidationError(action, exc)


def _validation_error(protocol, validate, action, payload):
    """None if the payload passes, else the OCPPError to report."""
    try:
        validate(action, payload)
    except protocol.ValidationError as exc:
        cls = errors.error_class(getattr(exc, "code", None))
        if cls is None:
            cls = errors.FormationViolationError
        path = getattr(exc, "path", "")
        rule = getattr(exc, "rule", "")
        return cls(
            "%s payload: %s" % (action, errors.describe_validation(exc)),
            {"path": path, "rule": rule},
        )
    except Exception:
        # A validator crashing on odd input is our bug, not the peer's.
        return errors.InternalError()
    return None


def _error_frame(unique_id, error):
    if not isinstance(error, errors.OCPPError):
        raise errors.UsageError(
            "send_error needs an OCPPError, not %r" % (type(error),)
        )
    if errors.error_class(error.code) is None:
        raise errors.UsageError(
            "%r is not a 1.6 CallError code (OCPP-J table 7)" % (error.code,)
        )
    description = error.description
    details = error.details
    if type(description) is not str or type(details) is not dict:
        raise errors.UsageError("CallError description must be str and details dict")
    return framing.error_text(unique_id, error.code, description, details)
