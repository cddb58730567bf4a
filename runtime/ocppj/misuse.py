"""The wording of the UsageErrors the runtime raises when the application
misuses the API, and the reprs of the runtime's objects.

Imported the first time one is raised (or a repr asked for): the texts are
many and long, and a correct application never needs them (on MicroPython
each str constant is an object of its own on the heap). Each function
returns the exception; the caller raises it, so the traceback points at
the misuse. Connection.close lives here too: a session runs it at most
once, at its end.
"""

from . import errors, events


def settings(role, queue_limit, incoming_limit, response_timeout):
    """Connection arguments out of range."""
    if role is not None and role != "ChargePoint" and role != "CentralSystem":
        return errors.UsageError(
            "role must be 'ChargePoint', 'CentralSystem' or None, not %r" % (role,)
        )
    if response_timeout <= 0:
        return errors.UsageError("response_timeout must be positive")
    return errors.UsageError("queue_limit >= 0 and incoming_limit >= 1")


def closed():
    return errors.SessionClosedError("the connection is closed")


def not_a_payload(payload):
    return errors.PayloadTypeError("%r is not a payload object of this protocol" % (type(payload),))


def not_a_request(action):
    return errors.PayloadTypeError("%s is a response payload; a CALL needs a request" % action)


def wrong_answer(call_id, action, payload_action, is_request):
    kind = "response"
    if is_request:
        kind = "request"
    return errors.PayloadTypeError(
        "CALL %s is %s; answer it with a %s response, not a %s %s"
        % (call_id, action, action, payload_action, kind)
    )


def not_encodable(action, exc):
    return errors.PayloadTypeError("%s payload cannot be encoded: %s" % (action, exc))


def not_serialisable(exc):
    return errors.PayloadTypeError("payload is not JSON-serialisable: %s" % exc)


def wrong_direction(action, role):
    peer = "ChargePoint"
    if role == "ChargePoint":
        peer = "CentralSystem"
    return errors.WrongDirectionError(
        "only the %s sends %s; this end is the %s" % (peer, action, role)
    )


def not_a_call(connection, payload, action):
    """send_call of a response payload or of an action for the peer to send."""
    if not connection.protocol.is_request(payload):
        return not_a_request(action)
    return wrong_direction(action, connection.role)


def refused_id(unique_id):
    """A unique id the application chose that is malformed or in use."""
    from .framing import is_valid_unique_id

    if not is_valid_unique_id(unique_id):
        return bad_unique_id(unique_id)
    return unique_id_in_use(unique_id)


def bad_unique_id(unique_id):
    return errors.InvalidUniqueIdError(
        "unique id must be a string of at most 36 characters (OCPP-J table 3)"
    )


def unique_id_in_use(unique_id):
    return errors.InvalidUniqueIdError("unique id %s is already used by a pending CALL" % unique_id)


def queue_full(waiting, outstanding_id):
    return errors.QueueFullError(
        "%d CALLs already wait behind %s (queue_limit)" % (waiting, outstanding_id)
    )


def not_owed(connection, call_id):
    """An answer to a CALL the connection does not owe one."""
    if connection.closed:
        return closed()
    return no_such_call(call_id)


def no_such_call(call_id):
    return errors.NoSuchCallError("no unanswered CALL with unique id %r" % (call_id,))


def bad_call_error(error):
    """Why ``send_error`` cannot send ``error``."""
    if not isinstance(error, errors.OCPPError):
        return errors.UsageError("send_error needs an OCPPError, not %r" % (type(error),))
    if errors.error_class(error.code) is None:
        return errors.UsageError("%r is not a 1.6 CallError code (OCPP-J table 7)" % (error.code,))
    return errors.UsageError("CallError description must be str and details dict")


def not_a_validation():
    return errors.UsageError("validation must be True, False, None or a Validation")


def wrong_arguments(event):
    """An event constructor called with too few or too many arguments."""
    return TypeError(
        "%s takes %d to %d arguments" % (event.kind, event._required, len(event._names))
    )


def not_an_action(action):
    return errors.UsageError("an action is a string, not %r" % (action,))


def two_handlers(action):
    return errors.UsageError("two handlers for %s" % action)


def no_protocol():
    return errors.UsageError("no protocol: pass protocol= or set the class attribute 'protocol'")


def async_handler(result):
    """The handler returned ``result``, a coroutine: closed, never run."""
    if hasattr(result, "close"):
        result.close()
    return errors.UsageError("async handler used by a sync pump")


def async_after(charge_point, outcome):
    """An ``@after`` hook returned the coroutine ``outcome``: closed (when
    it can be) and reported, never run."""
    if hasattr(outcome, "close"):
        outcome.close()
        charge_point._report("async @after skipped by a sync pump")


def not_finishing(event):
    return errors.UsageError("%r does not finish a CALL" % (event,))


def event_repr(event):
    """``<kind attr=value ...>`` with the event's first three attributes."""
    parts = []
    for name in event._names[:3]:
        parts.append("%s=%r" % (name, getattr(event, name)))
    return "<%s %s>" % (event.kind, " ".join(parts))


def validation_repr(validation):
    return "<Validation incoming=%r outgoing=%r skip_incoming=%r skip_outgoing=%r>" % (
        validation.incoming,
        validation.outgoing,
        sorted(validation._skip_incoming),
        sorted(validation._skip_outgoing),
    )


def close(connection):
    """Connection.close: at most once per session, so not in core.py."""
    if connection.closed:
        return []
    connection.closed = True
    out = []
    call = connection._outstanding
    if call is not None:
        out.append(events.CallCancelled(call[0], call[1], True))
        connection._outstanding = None
    for call in connection._queue:
        out.append(events.CallCancelled(call[0], call[1], False))
    connection._queue = []
    connection._incoming = {}
    return out
