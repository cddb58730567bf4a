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

from . import errors, events, framing
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

# Each CALL of ours is a tuple (unique id, action, frame text, deadline,
# timeout, validate its response): a tuple instead of an object keeps it
# at one small heap block on MicroPython.


class Connection:
    """One OCPP-J connection, seen from ``role`` ("ChargePoint",
    "CentralSystem", or None to skip direction checks).

    ``id_factory`` makes the unique ids of our CALLs; by default a random
    prefix per connection plus a counter, so ids never repeat on a
    connection (OCPP-J 4.1.4) and stay far below the 36 characters of
    table 3."""

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
        if (
            (role is not None and role not in ROLES)
            or queue_limit < 0
            or incoming_limit < 1
            or response_timeout <= 0
        ):
            from . import misuse

            raise misuse.settings(role, queue_limit, incoming_limit, response_timeout)
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
        # Optional one-pass validate+decode, indexed by "is a request".
        self._readers = None
        if hasattr(protocol, "read_request"):
            self._readers = (protocol.read_response, protocol.read_request)
        if id_factory is None:
            self._id_prefix = "0"
            try:
                try:
                    import random
                except ImportError:
                    import urandom as random
                self._id_prefix = "%08x%08x" % (
                    random.getrandbits(32),
                    random.getrandbits(32),
                )
            except Exception:
                pass
            self._id_count = 0
            id_factory = self._counter_id
        self._next_id = id_factory
        self._outstanding = None
        self._queue = []
        self._incoming = {}  # unique id -> action of CALLs we owe an answer
        self._outbox = []
        self._late_ids = []
        # Whether close() ran: an attribute, not a property (one function
        # less on MicroPython); only close() sets it.
        self.closed = False

    def _counter_id(self):
        self._id_count += 1
        return "%s-%d" % (self._id_prefix, self._id_count)

    # ----------------------------------------------------------- state

    @property
    def outstanding_call(self):
        """Unique id of our CALL waiting for its answer, or None."""
        if self._outstanding is None:
            return None
        return self._outstanding[0]

    @property
    def queued_calls(self):
        """Unique ids of our CALLs waiting for their turn, oldest first."""
        # a loop, not a comprehension: one code object less on MicroPython
        ids = []
        for call in self._queue:
            ids.append(call[0])
        return ids

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
            deadline = self._outstanding[3]
        for call in self._queue:
            if deadline is None or call[3] < deadline:
                deadline = call[3]
        return deadline

    # ----------------------------------------------------------- our CALLs

    def send_call(self, payload, now, unique_id=None, timeout=None, validate=True):
        """Send (or queue) a CALL for the request object ``payload``; returns
        its unique id. Raises a UsageError subclass on misuse; nothing is
        sent then. ``timeout`` overrides ``response_timeout`` for this CALL;
        ``validate=False`` skips the schema checks of this request and of
        its response (on top of the ``validation`` policy)."""
        if self.closed:
            from . import misuse

            raise misuse.closed()
        protocol = self.protocol
        try:
            action = protocol.action_of(payload)
        except Exception:
            action = None
        if action is None:
            from . import misuse

            raise misuse.not_a_payload(payload)
        if not protocol.is_request(payload) or not self._allowed(action, True):
            from . import misuse

            raise misuse.not_a_call(self, payload, action)
        try:
            wire = protocol.encode(payload)
        except Exception as exc:
            from . import misuse

            raise misuse.not_encodable(action, exc)
        if validate and self.validation.checks_outgoing(action):
            try:
                protocol.validate_request(action, wire)
            except protocol.ValidationError as exc:
                raise errors.OutgoingValidationError(action, exc)
        chosen = unique_id
        if chosen is not None and not framing.is_valid_unique_id(chosen):
            unique_id = None  # refused below
        while (
            unique_id is None
            or unique_id == self.outstanding_call
            or unique_id in self.queued_calls
        ):
            if chosen is not None:
                from . import misuse

                raise misuse.refused_id(chosen)
            unique_id = self._next_id()  # an id_factory may repeat itself
        if timeout is None:
            timeout = self.response_timeout
        frame = framing.call_text(unique_id, action, wire)
        # Invariant: with no CALL outstanding the queue is empty.
        if self._outstanding is not None and len(self._queue) >= self.queue_limit:
            from . import misuse

            raise misuse.queue_full(len(self._queue), self._outstanding[0])
        self._queue.append((unique_id, action, frame, now + timeout, timeout, validate))
        self._promote()
        return unique_id

    def _allowed(self, action, sending):
        """Whether this end may send (or receive) a CALL of ``action``."""
        initiator = self.protocol.ACTIONS[action][0]
        return (
            self.role is None
            or (initiator == self.role) == sending
            or is_bidirectional(self.protocol, action)
        )

    # ----------------------------------------------------------- answers

    def send_result(self, call_id, payload):
        """Answer the peer's CALL ``call_id`` with the response object
        ``payload``. On a UsageError the CALL stays unanswered."""
        action = self._incoming.get(call_id)
        if action is None:  # closed (nothing is owed then) or not owed
            from . import misuse

            raise misuse.not_owed(self, call_id)
        protocol = self.protocol
        try:
            payload_action = protocol.action_of(payload)
        except Exception:
            payload_action = None
        if payload_action is None:
            from . import misuse

            raise misuse.not_a_payload(payload)
        if protocol.is_request(payload) or payload_action != action:
            from . import misuse

            raise misuse.wrong_answer(call_id, action, payload_action, protocol.is_request(payload))
        try:
            wire = protocol.encode(payload)
        except Exception as exc:
            from . import misuse

            raise misuse.not_encodable(action, exc)
        if self.validation.checks_outgoing(action):
            try:
                protocol.validate_response(action, wire)
            except protocol.ValidationError as exc:
                raise errors.OutgoingValidationError(action, exc)
        frame = framing.result_text(call_id, wire)
        del self._incoming[call_id]
        self._outbox.append(frame)

    def send_error(self, call_id, error):
        """Answer the peer's CALL ``call_id`` with an OCPPError instance."""
        # Only answers that refuse a CALL need rejection.py: loaded here.
        from . import rejection

        rejection.send_error(self, call_id, error)

    # ----------------------------------------------------------- input

    def receive_text(self, text, now):
        """Process one WebSocket message; returns the events it caused.
        Never raises for any str/bytes content; UsageError after close or
        for other types."""
        if self.closed:
            from . import misuse

            raise misuse.closed()
        if self._outstanding is None and not self._queue:
            out = []  # no CALL of ours that could time out
        else:
            out = self._expire(now)
        frame = framing.parse(text, self.max_frame_size, self.max_depth, True)
        call = self._outstanding
        unique_id = frame.unique_id
        if frame.error is not None:
            from . import rejection

            rejection.refuse_frame(self, frame, out)
        elif frame.message_type == framing.CALL:
            self._call_received(frame, text, out)
        elif call is None or unique_id != call[0] or frame.message_type == framing.CALLERROR:
            # An answer we are not waiting for, or a CALLERROR (rejection.py
            # made its frame, so it is loaded already)
            from . import rejection

            rejection.answer_received(self, frame, text, out)
        else:
            action = call[1]
            payload = frame.payload
            checked = call[5] and self.validation.checks_incoming(action)
            error, response = self._read(action, payload, checked, False)
            if frame.unmeasured is not None and not (
                checked and error is None and self._payload_depth < self.max_depth
            ):
                from . import rejection

                if rejection.too_deep_refused(self, frame, text, False, out):
                    return out  # still outstanding: nothing to promote
            self._outstanding = None
            if error is None:
                out.append(events.ResultReceived(unique_id, action, response, payload))
            else:
                out.append(events.ResultRejected(unique_id, action, error, payload))
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
        if call is not None and now >= call[3]:
            self._outstanding = None
            late = self._late_ids
            late.append(call[0])
            if len(late) > LATE_ID_MEMORY:
                late.pop(0)
            out.append(events.CallTimedOut(call[0], call[1], True, call[4]))
        if self._queue:
            waiting = []
            for call in self._queue:
                if now >= call[3]:
                    out.append(events.CallTimedOut(call[0], call[1], False, call[4]))
                else:
                    waiting.append(call)
            self._queue = waiting
        self._promote()
        return out

    def _promote(self):
        if self._outstanding is None and self._queue:
            call = self._queue.pop(0)
            self._outstanding = call
            self._outbox.append(call[2])

    def _call_received(self, frame, text, out):
        unique_id = frame.unique_id
        action = frame.action
        incoming = self._incoming
        checked = False
        if (
            unique_id in incoming
            or action not in self.protocol.ACTIONS
            or not self._allowed(action, False)
            or len(incoming) >= self.incoming_limit
        ):
            from . import rejection

            error = rejection.call_refused(self, unique_id, action)
        else:
            checked = self.validation.checks_incoming(action)
            error, request = self._read(action, frame.payload, checked, True)
        if frame.unmeasured is not None and not (
            checked and error is None and self._payload_depth < self.max_depth
        ):
            from . import rejection

            if rejection.too_deep_refused(self, frame, text, False, out):
                return
        if error is not None:
            from . import rejection

            rejection.refuse(self, unique_id, error, True, out, action)
            return
        incoming[unique_id] = action
        out.append(events.CallReceived(unique_id, action, request, frame.payload))

    def _read(self, action, payload, checked, request):
        """(None, typed payload) for a peer's CALL (``request``) or
        CALLRESULT payload, else (the OCPPError to report, None);
        ``checked``: validate it first (in one pass with decoding where the
        protocol has readers and they vouch for the payload)."""
        if checked and self._readers is not None:
            try:
                typed = self._readers[request](action, payload)
            except Exception:
                typed = None  # the validator below decides and says why
            if typed is not None:
                return None, typed
        protocol = self.protocol
        validate = protocol.validate_response
        decode = protocol.decode_response
        if request:
            validate = protocol.validate_request
            decode = protocol.decode_request
        try:
            if checked:
                validate(action, payload)
        except Exception as exc:
            from . import rejection

            return rejection.invalid_payload(protocol, action, exc), None
        try:
            return None, decode(action, payload)
        except Exception:
            from . import rejection

            return rejection.undecodable(action, request), None

    # ----------------------------------------------------------- closing

    def close(self):
        """End the session. Our pending CALLs come back as CallCancelled
        events; unanswered peer CALLs are forgotten. Frames already queued
        stay available from data_to_send. Idempotent."""
        # Once per session at most, so its code waits in misuse.py.
        from . import misuse

        return misuse.close(self)


def is_bidirectional(protocol, action):
    return action in BIDIRECTIONAL_ACTIONS or protocol.ACTIONS[action][0] == BOTH
