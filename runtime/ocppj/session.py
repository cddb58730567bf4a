"""The sans-IO OCPP-J session: text and ``now`` go in, events and frames out.

The session holds no socket, thread, task or clock. A pump feeds it:

    events = session.receive_text(text, now)     # one WebSocket message
    call_id = session.send_call(request, now)    # our CALL (sent or queued)
    session.send_result(call_id, response)       # answer a CallReceived
    session.send_error(call_id, ocpp_error)
    for frame in session.data_to_send(): connection.send(frame)
    deadline = session.next_deadline()          # sleep until then, then
    events = session.handle_timer(now)

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
* Misuse of the API raises a UsageError subclass (errors.py) and changes
  nothing; what the peer sends never raises. Running out of memory raises
  MemoryError wherever it happens, never a CallError or a UsageError.
"""

from . import errors, events, framing, jsontext
from .validation import as_validation

try:
    import random
except ImportError:
    try:
        import urandom as random  # type: ignore[no-redef]
    except ImportError:  # no random numbers: ids fall back to a counter alone
        random = None  # type: ignore[assignment]

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


def is_bidirectional(protocol, action):
    """Whether either end may send a CALL of ``action``."""
    return action in BIDIRECTIONAL_ACTIONS or protocol.ACTIONS[action][0] == BOTH


class PendingCall:
    """One CALL of ours, outstanding or queued: its ``frame`` text, the time
    its answer is due by (``deadline``), the ``timeout`` that made it, and
    whether its answer is validated (``validate``)."""

    __slots__ = ("unique_id", "action", "frame", "deadline", "timeout", "validate")

    def __init__(self, unique_id, action, frame, deadline, timeout, validate):
        self.unique_id = unique_id
        self.action = action
        self.frame = frame
        self.deadline = deadline
        self.timeout = timeout
        self.validate = validate


class Session:
    """One OCPP-J session, seen from ``role`` ("ChargePoint",
    "CentralSystem", or None to skip direction checks).

    ``id_factory`` makes the unique ids of our CALLs; by default a random
    prefix per session plus a counter, so ids never repeat on a session
    (OCPP-J 4.1.4) and stay far below the 36 characters of table 3."""

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
        if response_timeout <= 0:
            raise errors.UsageError("response_timeout must be positive")
        if queue_limit < 0 or incoming_limit < 1:
            raise errors.UsageError("queue_limit >= 0 and incoming_limit >= 1")
        self.protocol = protocol
        self.role = role
        self.response_timeout = response_timeout
        self.queue_limit = queue_limit
        self.max_frame_size = max_frame_size
        self.max_depth = max_depth
        self.incoming_limit = incoming_limit
        self.validation = as_validation(validation)
        # A payload that passed its schema check nests at most this deep,
        # which spares measuring it (framing.parse) while it is below
        # max_depth; a protocol without the figure gets a depth no
        # max_depth reaches (a small int on 32-bit MicroPython too).
        self._payload_depth = getattr(protocol, "PAYLOAD_DEPTH", None)
        if self._payload_depth is None:
            self._payload_depth = 1 << 29
        # Optional one-pass validate+decode (docs/architecture.md).
        self._read_request = getattr(protocol, "read_request", None)
        self._read_response = getattr(protocol, "read_response", None)
        if id_factory is None:
            self._id_prefix = "0"
            if random is not None:
                self._id_prefix = "%08x%08x" % (random.getrandbits(32), random.getrandbits(32))
            self._id_count = 0
            id_factory = self._counter_id
        self._next_id = id_factory
        self._outstanding = None  # the PendingCall waiting for its answer
        self._queue = []  # PendingCalls waiting for their turn, oldest first
        self._incoming = {}  # unique id -> action of the peer's CALLs we owe an answer
        self._outbox = []
        self._late_ids = []
        self.closed = False  # set by close()

    def _counter_id(self):
        self._id_count += 1
        return "%s-%d" % (self._id_prefix, self._id_count)

    # ----------------------------------------------------------- state

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
        """Frames to write to the connection, in order; drains them."""
        frames = self._outbox
        self._outbox = []
        return frames

    def has_data_to_send(self):
        """Whether data_to_send() would return frames."""
        return bool(self._outbox)

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
        if self.closed:
            raise errors.SessionClosedError("the session is closed")
        protocol = self.protocol
        action = self._action_of(payload)
        if not protocol.is_request(payload):
            raise errors.PayloadTypeError(
                "%s is a response payload; a CALL needs a request" % action
            )
        if not self._may_send(action):
            peer = CHARGE_POINT
            if self.role == CHARGE_POINT:
                peer = CENTRAL_SYSTEM
            raise errors.WrongDirectionError(
                "only the %s sends %s; this end is the %s" % (peer, action, self.role)
            )
        validator = None
        if validate and self.validation.checks_outgoing(action):
            validator = protocol.validate_request
        wire = self._wire(action, payload, validator)
        if unique_id is None:
            unique_id = self._next_id()
            while unique_id is None or self._is_pending(unique_id):
                unique_id = self._next_id()  # an id_factory may repeat itself
        elif not framing.is_valid_unique_id(unique_id):
            raise errors.InvalidUniqueIdError(
                "unique id must be a string of at most 36 characters (OCPP-J table 3)"
            )
        elif self._is_pending(unique_id):
            raise errors.InvalidUniqueIdError(
                "unique id %s is already used by a pending CALL" % unique_id
            )
        # Invariant: with no CALL outstanding the queue is empty.
        if self._outstanding is not None and len(self._queue) >= self.queue_limit:
            raise errors.QueueFullError(
                "%d CALLs already wait behind %s (queue_limit)"
                % (len(self._queue), self._outstanding.unique_id)
            )
        if timeout is None:
            timeout = self.response_timeout
        frame = framing.call_text(unique_id, action, wire)
        self._queue.append(PendingCall(unique_id, action, frame, now + timeout, timeout, validate))
        self._promote()
        return unique_id

    def _is_pending(self, unique_id):
        """Whether one of our CALLs waiting for an answer has ``unique_id``."""
        if self._outstanding is not None and self._outstanding.unique_id == unique_id:
            return True
        for call in self._queue:
            if call.unique_id == unique_id:
                return True
        return False

    def _may_send(self, action):
        """Whether this end may send a CALL of ``action``."""
        return (
            self.role is None
            or self.protocol.ACTIONS[action][0] == self.role
            or is_bidirectional(self.protocol, action)
        )

    def _may_receive(self, action):
        """Whether this end may receive a CALL of ``action``."""
        return (
            self.role is None
            or self.protocol.ACTIONS[action][0] != self.role
            or is_bidirectional(self.protocol, action)
        )

    def _action_of(self, payload):
        """The action of the payload object ``payload``; PayloadTypeError when
        it is not one of the protocol's."""
        try:
            action = self.protocol.action_of(payload)
        except MemoryError:
            raise
        except Exception:
            action = None
        if action is None:
            raise errors.PayloadTypeError(
                "%r is not a payload object of this protocol" % (type(payload),)
            )
        return action

    def _wire(self, action, payload, validator):
        """The wire dict of ``payload``, checked by ``validator``
        (``validate_request`` or ``validate_response``) unless it is None."""
        try:
            wire = self.protocol.encode(payload)
        except MemoryError:
            raise
        except Exception as exc:
            raise errors.PayloadTypeError("%s payload cannot be encoded: %s" % (action, exc))
        if validator is not None:
            try:
                validator(action, wire)
            except self.protocol.ValidationError as exc:
                raise errors.OutgoingValidationError(action, exc)
        return wire

    # ----------------------------------------------------------- answers

    def send_result(self, call_id, payload):
        """Answer the peer's CALL ``call_id`` with the response object
        ``payload``. On a UsageError the CALL stays unanswered."""
        action = self._incoming.get(call_id)
        if action is None:  # closed (nothing is owed then) or not owed
            raise self._not_owed(call_id)
        protocol = self.protocol
        payload_action = self._action_of(payload)
        if protocol.is_request(payload) or payload_action != action:
            kind = "response"
            if protocol.is_request(payload):
                kind = "request"
            raise errors.PayloadTypeError(
                "CALL %s is %s; answer it with a %s response, not a %s %s"
                % (call_id, action, action, payload_action, kind)
            )
        validator = None
        if self.validation.checks_outgoing(action):
            validator = protocol.validate_response
        frame = framing.result_text(call_id, self._wire(action, payload, validator))
        del self._incoming[call_id]
        self._outbox.append(frame)

    def send_error(self, call_id, error):
        """Answer the peer's CALL ``call_id`` with an OCPPError instance."""
        if call_id not in self._incoming:  # closed: nothing is owed
            raise self._not_owed(call_id)
        frame = self._error_frame(call_id, error)
        del self._incoming[call_id]
        self._outbox.append(frame)

    def answer(self, call_id, response=None, exception=None):
        """Answer the peer's CALL ``call_id`` with what its handler did.

        The ``response`` it returned becomes the CALLRESULT; the
        ``exception`` it raised the CALLERROR: an OCPPError as it is, any
        other exception InternalError with a generic description (internals
        stay private). A response that cannot be sent (not the action's
        response object, or invalid) and an OCPPError that cannot (an
        unknown code, details not a dict) are answered InternalError too.

        Returns ``(answer, problem)``: ``answer`` is "result", "error", or
        None when nothing could be sent (closed, or the CALL is not owed);
        ``problem`` the exception that made us answer InternalError or kept
        us from answering, else None. Never raises."""
        if exception is None:
            try:
                self.send_result(call_id, response)
                return "result", None
            except errors.UsageError as refused:
                exception = refused
        problem = None
        error = exception
        if not isinstance(exception, errors.OCPPError):
            problem = exception
            error = errors.InternalError()
        try:
            self.send_error(call_id, error)
            return "error", problem
        except errors.UsageError as refused:
            if problem is None:
                problem = refused
            if isinstance(refused, (errors.SessionClosedError, errors.NoSuchCallError)):
                return None, problem
        try:
            self.send_error(call_id, errors.InternalError())
        except errors.UsageError:
            return None, problem
        return "error", problem

    def _not_owed(self, call_id):
        """The UsageError for answering a CALL that is not owed an answer."""
        if self.closed:
            return errors.SessionClosedError("the session is closed")
        return errors.NoSuchCallError("no unanswered CALL with unique id %r" % (call_id,))

    def _error_frame(self, unique_id, error):
        """The CALLERROR text answering ``unique_id`` with the OCPPError
        ``error``; UsageError when it cannot go on the wire."""
        if not isinstance(error, errors.OCPPError):
            raise errors.UsageError("send_error needs an OCPPError, not %r" % (type(error),))
        if errors.error_class(error.code) is None:
            raise errors.UsageError(
                "%r is not a 1.6 CallError code (OCPP-J table 7)" % (error.code,)
            )
        if type(error.description) is not str or type(error.details) is not dict:
            raise errors.UsageError("CallError description must be str and details dict")
        return framing.error_text(unique_id, error.code, error.description, error.details)

    # ----------------------------------------------------------- input

    def receive_text(self, text, now):
        """Process one WebSocket message; returns the events it caused.
        Never raises for any str/bytes content; UsageError after close or
        for other types. MemoryError passes through as it is, never taken
        for the peer's fault: the session stays usable once memory is back
        (what the message did so far stays done)."""
        if self.closed:
            raise errors.SessionClosedError("the session is closed")
        if self._outstanding is None and not self._queue:
            out = []  # no CALL of ours that could time out
        else:
            out = self._expire(now)
        frame = framing.parse(text, self.max_frame_size, self.max_depth, measure_later=True)
        call = self._outstanding
        if frame.error is not None:
            self._refuse_frame(frame, out)
        elif frame.message_type == framing.CALL:
            self._call_received(frame, text, out)
        elif (
            call is not None
            and frame.unique_id == call.unique_id
            and frame.message_type == framing.CALLRESULT
        ):
            self._result_received(call, frame, text, out)
        else:
            self._answer_received(frame, text, out)
        self._promote()
        return out

    def handle_timer(self, now):
        """Time out CALLs whose deadline is at or before ``now``."""
        if self.closed:
            return []
        return self._expire(now)

    def _expire(self, now):
        out = []
        call = self._outstanding
        if call is not None and now >= call.deadline:
            self._outstanding = None
            late = self._late_ids
            late.append(call.unique_id)
            if len(late) > LATE_ID_MEMORY:
                late.pop(0)
            out.append(
                events.CallTimedOut(call.unique_id, call.action, sent=True, timeout=call.timeout)
            )
        if self._queue:
            waiting = []
            for call in self._queue:
                if now >= call.deadline:
                    out.append(
                        events.CallTimedOut(
                            call.unique_id, call.action, sent=False, timeout=call.timeout
                        )
                    )
                else:
                    waiting.append(call)
            self._queue = waiting
        self._promote()
        return out

    def _promote(self):
        if self._outstanding is None and self._queue:
            call = self._queue.pop(0)
            self._outstanding = call
            self._outbox.append(call.frame)

    def _call_received(self, frame, text, out):
        unique_id = frame.unique_id
        action = frame.action
        error = self._refusal(unique_id, action)
        checked = False
        if error is None:
            checked = self.validation.checks_incoming(action)
            error, request = self._read(action, frame.payload, checked=checked, request=True)
        if frame.unmeasured is not None and self._too_deep(
            frame, text, out, vouched=checked and error is None
        ):
            return
        if error is not None:
            self._refuse(unique_id, error, out, answerable=True, action=action)
            return
        self._incoming[unique_id] = action
        out.append(events.CallReceived(unique_id, action, request, frame.payload))

    def _refusal(self, unique_id, action):
        """The OCPPError refusing a peer's CALL before its payload is read,
        or None: a duplicate id, an unknown action, one not for this end,
        one CALL too many."""
        incoming = self._incoming
        if unique_id in incoming:
            return errors.GenericError(
                "unique id %s belongs to a CALL still being handled (OCPP-J 4.1.4)" % unique_id
            )
        if action not in self.protocol.ACTIONS:
            if len(action) > 40:  # descriptions echo peer strings: keep them short
                action = action[:40] + "..."
            return errors.NotImplemented("unknown action %s" % action)
        if not self._may_receive(action):
            return errors.NotSupported("%s is sent by the %s, not to it" % (action, self.role))
        if len(incoming) >= self.incoming_limit:
            return errors.GenericError(
                "%d CALLs are still unanswered (OCPP-J 4.1.1 allows one)" % len(incoming)
            )
        return None

    def _result_received(self, call, frame, text, out):
        """The CALLRESULT answering our outstanding CALL ``call``."""
        checked = call.validate and self.validation.checks_incoming(call.action)
        error, response = self._read(call.action, frame.payload, checked=checked, request=False)
        if frame.unmeasured is not None and self._too_deep(
            frame, text, out, vouched=checked and error is None
        ):
            return  # refused: the CALL is still outstanding
        self._outstanding = None
        if error is None:
            out.append(events.ResultReceived(call.unique_id, call.action, response, frame.payload))
        else:
            out.append(events.ResultRejected(call.unique_id, call.action, error, frame.payload))

    def _answer_received(self, frame, text, out):
        """A CALLERROR answering our outstanding CALL (CallErrorReceived), or
        a CALLRESULT or CALLERROR answering none (UnmatchedResponse)."""
        call = self._outstanding
        unique_id = frame.unique_id
        if call is not None and unique_id == call.unique_id:
            self._outstanding = None
            error = errors.from_call_error(frame.code, frame.description, frame.details)
            out.append(events.CallErrorReceived(unique_id, call.action, error))
            return
        if frame.unmeasured is not None and self._too_deep(frame, text, out, vouched=False):
            return
        reason = "unknown"
        if unique_id in self._late_ids:
            reason = "late"
        out.append(events.UnmatchedResponse(unique_id, frame.message_type, reason, frame))

    def _read(self, action, payload, checked, request):
        """(None, typed payload) for a peer's CALL (``request``) or
        CALLRESULT payload, else (the OCPPError to report, None);
        ``checked``: validate it first (in one pass with decoding where the
        protocol has readers and they vouch for the payload)."""
        protocol = self.protocol
        if request:
            read = self._read_request
            validate = protocol.validate_request
            decode = protocol.decode_request
        else:
            read = self._read_response
            validate = protocol.validate_response
            decode = protocol.decode_response
        if checked and read is not None:
            try:
                typed = read(action, payload)
            except MemoryError:
                raise
            except Exception:
                typed = None  # the validator below decides and says why
            if typed is not None:
                return None, typed
        if checked:
            try:
                validate(action, payload)
            except MemoryError:
                raise
            except Exception as exc:
                return self._invalid(action, exc), None
        try:
            return None, decode(action, payload)
        except MemoryError:
            raise
        except Exception:
            kind = "response"
            if request:
                kind = "request"
            return errors.FormationViolation(
                "%s %s payload cannot be decoded" % (action, kind)
            ), None

    def _invalid(self, action, exc):
        """The OCPPError for a payload whose validation raised ``exc``."""
        if not isinstance(exc, self.protocol.ValidationError):
            # A validator crashing on odd input is our bug, not the peer's.
            return errors.InternalError()
        cls = errors.error_class(getattr(exc, "code", None))
        if cls is None:
            cls = errors.FormationViolation
        details = {"path": getattr(exc, "path", ""), "rule": getattr(exc, "rule", "")}
        return cls("%s payload: %s" % (action, errors.describe_validation(exc)), details)

    def _too_deep(self, frame, text, out, vouched):
        """For a frame parse left unmeasured (``measure_later``): whether it
        nests deeper than max_depth, refused in ``out`` as parse would have.
        ``vouched``: its payload passed its action's schema check. Every 1.6
        object refuses properties it does not name, so such a payload nests
        at most the protocol's PAYLOAD_DEPTH, and is not measured."""
        max_depth = self.max_depth
        if vouched and self._payload_depth < max_depth:
            return False
        # the bracket count first: cheaper than a walk, and enough for most
        few = type(text) is str and not jsontext.may_be_too_deep(text, max_depth)
        if not few and jsontext.too_deep(frame.unmeasured, max_depth):
            self._refuse_frame(framing.not_json(jsontext.TOO_DEEP % max_depth, text), out)
            return True
        del frame.unmeasured  # measured now: as parse returns it eagerly
        return False

    def _refuse_frame(self, frame, out):
        """Reports (and answers, if it may be answered) the Rejected
        ``frame``; a broken answer to our outstanding CALL ends that CALL."""
        call = self._outstanding
        if not frame.answerable and call is not None and frame.unique_id == call.unique_id:
            # The peer did answer our CALL (4.1.1: "responded to"), badly.
            self._outstanding = None
            out.append(events.ResultRejected(call.unique_id, call.action, frame.error))
        else:
            self._refuse(frame.unique_id, frame.error, out, answerable=frame.answerable)

    def _refuse(self, unique_id, error, out, answerable, action=None):
        """Reports refused input to ``out`` as FrameRejected and, when it is
        ``answerable`` and the outbox has room, queues the CALLERROR."""
        answer_id = None
        if answerable and len(self._outbox) < OUTBOX_ERROR_LIMIT:
            answer_id = unique_id
            if answer_id is None:
                answer_id = framing.PLACEHOLDER_ID
            self._outbox.append(self._error_frame(answer_id, error))
        answered = answer_id is not None
        out.append(
            events.FrameRejected(unique_id, error, answered, answer_id=answer_id, action=action)
        )

    # ----------------------------------------------------------- closing

    def close(self):
        """End the session. Our pending CALLs come back as CallCancelled
        events; unanswered peer CALLs are forgotten. Frames already queued
        stay available from data_to_send. Idempotent."""
        if self.closed:
            return []
        self.closed = True
        out = []
        call = self._outstanding
        if call is not None:
            out.append(events.CallCancelled(call.unique_id, call.action, sent=True))
            self._outstanding = None
        for call in self._queue:
            out.append(events.CallCancelled(call.unique_id, call.action, sent=False))
        self._queue = []
        self._incoming = {}
        return out
