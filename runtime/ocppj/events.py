"""Events a Session hands back from receive_text, handle_timer and close.

Plain objects with an explicit ``kind`` string, the class's name, so a pump
can dispatch with one comparison or ``isinstance``, on CPython and
MicroPython alike. Constructor arguments are the attributes, in order;
those with a default are optional.
"""


class Event:
    """Base of the events; ``fields`` are the attributes in constructor
    order, the first three of which repr() shows."""

    kind = "Event"
    fields: tuple[str, ...] = ()

    def __repr__(self):
        parts = []
        for name in self.fields[:3]:
            parts.append("%s=%r" % (name, getattr(self, name)))
        return "<%s %s>" % (self.kind, " ".join(parts))


class CallReceived(Event):
    """The peer sent a valid CALL. Answer it with ``send_result`` or
    ``send_error`` under ``unique_id``. ``request`` is the typed payload,
    ``payload`` the wire dict it came from."""

    kind = "CallReceived"
    fields = ("unique_id", "action", "request", "payload")

    def __init__(self, unique_id, action, request, payload):
        self.unique_id = unique_id
        self.action = action
        self.request = request
        self.payload = payload


class ResultReceived(Event):
    """Our CALL ``unique_id`` was answered with a valid CALLRESULT."""

    kind = "ResultReceived"
    fields = ("unique_id", "action", "response", "payload")

    def __init__(self, unique_id, action, response, payload):
        self.unique_id = unique_id
        self.action = action
        self.response = response
        self.payload = payload


class CallErrorReceived(Event):
    """Our CALL ``unique_id`` was answered with a CALLERROR; ``error`` is the
    OCPPError subclass instance of its code, built from the peer's frame."""

    kind = "CallErrorReceived"
    fields = ("unique_id", "action", "error")

    def __init__(self, unique_id, action, error):
        self.unique_id = unique_id
        self.action = action
        self.error = error


class ResultRejected(Event):
    """The peer answered our CALL ``unique_id`` (so the CALL is over, OCPP-J
    4.1.1) but the answer is unusable: a malformed CALLRESULT or CALLERROR,
    a CALLRESULT payload that fails validation, or one the protocol cannot
    decode. ``error`` is an OCPPError naming what is wrong; nothing is sent
    back (a CALLERROR only ever answers a CALL)."""

    kind = "ResultRejected"
    fields = ("unique_id", "action", "error", "payload")

    def __init__(self, unique_id, action, error, payload=None):
        self.unique_id = unique_id
        self.action = action
        self.error = error
        self.payload = payload


class CallTimedOut(Event):
    """Our CALL got no answer within its ``timeout`` (counted from
    ``send_call``, queued time included); ``sent`` is False when it never
    left the queue."""

    kind = "CallTimedOut"
    fields = ("unique_id", "action", "sent", "timeout")

    def __init__(self, unique_id, action, sent, timeout):
        self.unique_id = unique_id
        self.action = action
        self.sent = sent
        self.timeout = timeout


class CallCancelled(Event):
    """``close()`` ended our CALL before an answer came; ``sent`` as for
    CallTimedOut."""

    kind = "CallCancelled"
    fields = ("unique_id", "action", "sent")

    def __init__(self, unique_id, action, sent):
        self.unique_id = unique_id
        self.action = action
        self.sent = sent


class UnmatchedResponse(Event):
    """A CALLRESULT or CALLERROR (``message_type`` 3 or 4) whose id is not
    our outstanding CALL's: reported and dropped, never matched to another
    CALL. ``reason`` is ``"late"`` when the id belongs to a CALL that
    recently timed out, else ``"unknown"``; ``frame`` is the parsed frame."""

    kind = "UnmatchedResponse"
    fields = ("unique_id", "message_type", "reason", "frame")

    def __init__(self, unique_id, message_type, reason, frame):
        self.unique_id = unique_id
        self.message_type = message_type
        self.reason = reason
        self.frame = frame


class FrameRejected(Event):
    """Input we refused. ``error`` (an OCPPError) says why. ``answered`` is
    True when a CALLERROR carrying ``error`` was queued for sending, with
    ``answer_id`` as its unique id (the frame's id when it could be read,
    else the placeholder ``"-1"``). Broken responses (message type 3 or 4)
    are never answered. ``unique_id`` is the id read from the frame, or
    None; ``action`` the CALL's action when it is known."""

    kind = "FrameRejected"
    fields = ("unique_id", "error", "answered", "answer_id", "action")

    def __init__(self, unique_id, error, answered, answer_id=None, action=None):
        self.unique_id = unique_id
        self.error = error
        self.answered = answered
        self.answer_id = answer_id
        self.action = action
