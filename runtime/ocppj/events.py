"""Events the sans-IO core hands back from receive_text / handle_timer / close.

Plain objects with an explicit ``kind`` string so a pump can dispatch with one
dict lookup or isinstance, on CPython and MicroPython alike. Each kind is a
subclass of ``Event`` named after it, made the first time it is asked for
(``events.CallReceived``, through the module's ``__getattr__``) and kept, so
on a MicroPython device a kind that never occurs costs no heap. Constructor
arguments are the attributes below, in order; those marked optional default
to None.

* ``CallReceived(unique_id, action, request, payload)``: the peer sent a
  valid CALL. Answer it with ``send_result`` or ``send_error`` using
  ``unique_id``. ``request`` is the typed payload, ``payload`` the wire dict
  it came from.
* ``ResultReceived(unique_id, action, response, payload)``: our CALL
  ``unique_id`` was answered with a valid CALLRESULT.
* ``CallErrorReceived(unique_id, action, error)``: our CALL ``unique_id``
  was answered with a CALLERROR; ``error`` is the matching OCPPError
  subclass instance built from the peer's frame.
* ``ResultRejected(unique_id, action, error, payload optional)``: the peer
  answered our CALL ``unique_id`` (so the call is over, OCPP-J 4.1.1) but
  the answer is unusable: a malformed CALLRESULT/CALLERROR frame, a
  CALLRESULT payload that fails validation, or one the protocol cannot
  decode. ``error`` is an OCPPError subclass naming what is wrong; nothing
  is sent back (a CALLERROR only ever answers a CALL).
* ``CallTimedOut(unique_id, action, sent, timeout)``: our CALL got no answer
  within its timeout (counted from submission, queued time included).
  ``sent`` is False when it never left the queue.
* ``CallCancelled(unique_id, action, sent)``: ``close()`` ended our CALL
  before an answer came.
* ``UnmatchedResponse(unique_id, message_type, reason, frame)``: a
  CALLRESULT/CALLERROR whose id is not our outstanding CALL: reported and
  dropped, never matched to another call. ``reason`` is ``"late"`` when the
  id belongs to a call that recently timed out, else ``"unknown"``.
  ``message_type`` is 3 or 4.
* ``FrameRejected(unique_id, error, answered, answer_id optional, action
  optional)``: input we refused. ``error`` (OCPPError subclass) says why.
  ``answered`` is True when a CALLERROR carrying ``error`` was queued for
  sending, with ``answer_id`` as its unique id (the frame's id when it
  could be recovered, else the placeholder ``"-1"``). Broken responses
  (message type 3 or 4) are never answered. ``unique_id`` is the id read
  from the frame, or None.
"""

from . import errors

# Makes the __init__ of an event class from its field names; use_init_factory
# swaps it (the CPython tier compiles plain attribute stores: ocppj_aio.speedups).
_event_init = None


def use_init_factory(factory):
    """Give event classes made from now on ``factory(names, required)`` as
    their ``__init__``."""
    global _event_init
    _event_init = factory


# One line per kind: its name, how many attributes its constructor
# requires, then the attributes in constructor order after the first,
# which is unique_id for every kind. The first three are what repr() shows.
_KINDS = (
    "CallReceived 4 action request payload\n"
    "ResultReceived 4 action response payload\n"
    "CallErrorReceived 3 action error\n"
    "ResultRejected 3 action error payload\n"
    "CallTimedOut 4 action sent timeout\n"
    "CallCancelled 3 action sent\n"
    "UnmatchedResponse 4 message_type reason frame\n"
    "FrameRejected 3 error answered answer_id action\n"
)


class Event:
    kind = "event"
    _names = ()
    _required = 0

    def __init__(self, *values):
        names = self._names
        if len(values) < self._required or len(values) > len(names):
            from . import misuse

            raise misuse.wrong_arguments(self)
        for index in range(len(names)):
            value = None
            if index < len(values):
                value = values[index]
            setattr(self, names[index], value)

    def __repr__(self):
        from . import misuse

        return misuse.event_repr(self)


def __getattr__(name):
    start = _KINDS.find(name + " ")
    if name[:1] == "_" or start < 0 or (start and _KINDS[start - 1] != "\n"):
        raise AttributeError(name)
    words = _KINDS[start : _KINDS.find("\n", start)].split()
    names = ("unique_id",) + tuple(words[2:])
    namespace = {
        "kind": name,
        "_names": names,
        "_required": int(words[1]),
    }
    if _event_init is not None:
        namespace["__init__"] = _event_init(names, int(words[1]))
    cls = type(name, (Event,), namespace)
    globals()[name] = cls
    return cls


if not errors.MODULE_GETATTR:
    for _line in _KINDS.split("\n")[:-1]:
        __getattr__(_line[: _line.find(" ")])
