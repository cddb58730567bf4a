"""The ChargePoint facade shared by every pump (MicroPython-safe, no I/O).

Modelled on mobilityhouse ``ocpp.ChargePoint`` and its QuecPython port: one
object per OCPP-J connection, ``@on``/``@after`` handler methods, ``_call``
and ``_call_result`` namespaces for payload classes. On the central system
side the object stands for the remote charge point (mobilityhouse naming),
so the role of *this end* is worked out from the handlers: handlers for
actions a charge point initiates (BootNotification, ...) mean this end is
the CentralSystem and vice versa; a generated handler table
(``OCPP_HANDLERS``) counts with all its actions, overridden or not. Pass
``role`` (or set the class attribute) when the handlers do not tell (none,
only DataTransfer, or both kinds).

This class holds the sync steps; pumps add the I/O:

* ``route_message(text)`` runs one incoming message through the session
  (``self._session``) and sync handlers found by the router
  (``self._router``), sends the answers through ``connection.send(text)``
  and then runs ``@after`` hooks. An async pump (ocppj_aio) overrides it.
* ``_submit_call``/``outcome`` are the two halves of a ``call`` that a pump
  joins around its own way of waiting.
* ``_report`` is where unusual things go: logged where there is a logging
  module, printed where there is not.
"""

# A monotonic clock where there is one: CPython's time.monotonic, else the
# seconds of MicroPython's time, which QuecPython names utime only.
try:
    from time import monotonic as _clock
except ImportError:
    try:
        from utime import time as _clock  # type: ignore[no-redef]
    except ImportError:
        from time import time as _clock

try:
    import logging
except ImportError:  # MicroPython without micropython-lib's logging
    logging = None  # type: ignore[assignment]

from . import errors
from .routing import Router
from .session import CENTRAL_SYSTEM, CHARGE_POINT, Session, is_bidirectional
from .validation import as_validation

# Finished outcomes kept for ``take_outcome`` by a blocking pump; each is
# one of our CALLs, so queue_limit + 1 bounds them in practice.
OUTCOME_LIMIT = 32


class PayloadNamespace:
    """``ns.BootNotification`` and ``ns.BootNotificationPayload`` both give
    the class ``lookup("BootNotification")`` returns."""

    def __init__(self, lookup):
        self._lookup = lookup

    def __getattr__(self, name):
        action = name
        if name.endswith("Payload"):
            action = name[: -len("Payload")]
        try:
            return self._lookup(action)
        except MemoryError:
            raise
        except Exception:
            raise AttributeError(name)


# What sessions share rather than hold one each (fewer objects for the
# garbage collector to walk): the payload namespaces of each protocol,
# keyed by id() because MicroPython 1.13 cannot hash a module (the entry
# holds the protocol, so its id stays its own), and the policy of sessions
# that check everything.
_NAMESPACES: dict[int, tuple[object, PayloadNamespace, PayloadNamespace]] = {}
_check_everything = None


def _namespaces(protocol):
    """(request namespace, response namespace) of ``protocol``."""
    entry = _NAMESPACES.get(id(protocol))
    if entry is None:
        entry = (
            protocol,
            PayloadNamespace(protocol.request_class),
            PayloadNamespace(protocol.response_class),
        )
        _NAMESPACES[id(protocol)] = entry
    _, requests, responses = entry
    return requests, responses


def _policy(validation, skipped):
    """The Validation of a session: ``validation`` (None, True, False or a
    Validation) with the actions ``skipped`` by its handlers relaxed both
    ways. Sessions that check everything and skip nothing share one (nothing
    changes a policy once made); otherwise a copy, so the handlers' skips
    never leak into a policy the application shares between sessions."""
    global _check_everything
    shared = not skipped and (validation is None or validation is True)
    if shared and _check_everything is not None:
        return _check_everything
    policy = as_validation(validation).copy()
    for action in skipped:
        policy.skip(action)
    if shared:
        _check_everything = policy
    return policy


def infer_role(protocol, actions):
    """The role of an end that handles ``actions``, or None if ambiguous."""
    roles = {}
    for action in actions:
        if action not in protocol.ACTIONS or is_bidirectional(protocol, action):
            continue
        initiator = protocol.ACTIONS[action][0]
        if initiator == CHARGE_POINT:
            roles[CENTRAL_SYSTEM] = True
        else:
            roles[CHARGE_POINT] = True
    if len(roles) == 1:
        for role in roles:
            return role
    return None


def is_awaitable(value):
    # MicroPython coroutines are generators: no __await__, but send/throw.
    return hasattr(value, "__await__") or (hasattr(value, "send") and hasattr(value, "throw"))


def outcome_error(event):
    """The exception ``ChargePoint.outcome`` raises for the finishing
    ``event`` unless it returns: the OCPPError of a CALLERROR or of a
    rejected answer, CallTimeoutError, CallCancelledError."""
    kind = event.kind
    if kind == "CallErrorReceived" or kind == "ResultRejected":
        return event.error
    if kind == "CallTimedOut":
        return errors.CallTimeoutError(event.unique_id, event.action, event.timeout)
    if kind == "CallCancelled":
        return errors.CallCancelledError(event.unique_id, event.action)
    return errors.UsageError("%r does not finish a CALL" % (event,))


class ChargePoint:
    # A subclass may name its generated protocol module in a class attribute
    # `protocol` (and its side in `role`); the arguments of __init__ win.
    # `protocol` has no None default here: the device has no typing to say
    # "a protocol module or None", and without a default mypy types it by
    # what __init__ assigns.
    role: "str | None" = None
    _ocpp_version = "1.6"

    def __init__(
        self,
        id,
        connection=None,
        response_timeout=30,
        protocol=None,
        role=None,
        validation=None,
        **session_options,
    ):
        if protocol is None:
            protocol = getattr(type(self), "protocol", None)
        if protocol is None:
            raise errors.UsageError(
                "no protocol: pass protocol= or set the class attribute 'protocol'"
            )
        self.id = id
        self.protocol = protocol
        self._connection = connection
        self._response_timeout = response_timeout
        self._call, self._call_result = _namespaces(protocol)
        self._router = Router(self, protocol)
        if role is None:
            role = type(self).role
        if role is None:
            role = infer_role(protocol, self._router.declared_actions())
        self._session = Session(
            protocol,
            role,
            response_timeout=response_timeout,
            validation=_policy(validation, self._router.skipped_actions()),
            **session_options,
        )
        self._awaiting = {}  # our CALL id -> True while a pump waits for it
        self._outcomes = {}  # our CALL id -> finishing event

    # ------------------------------------------------------------- hooks

    def _now(self):
        return _clock()

    def _send(self, text):
        self._connection.send(text)

    def _report(self, message, problem=None):
        """Unusual things the peer or a handler did. Logged (printed without
        a logging module), never raised: the session goes on."""
        if problem is not None:
            message = "%s: %r" % (message, problem)
        if logging is None:
            print("ocppj", self.id, message)
        else:
            logging.getLogger("ocppj").warning("%s: %s", self.id, message)

    # ------------------------------------------------------------- input

    def route_message(self, text, now=None):
        """Process one incoming message with sync handlers."""
        if now is None:
            now = self._now()
        for event in self._session.receive_text(text, now):
            if event.kind == "CallReceived":
                self._serve(event)
            else:
                self._on_event(event)
        self._flush()

    def handle_timer(self, now=None):
        if now is None:
            now = self._now()
        for event in self._session.handle_timer(now):
            self._on_event(event)
        self._flush()

    def _serve(self, event):
        handler, kwargs, afters = self._router.prepare(event)
        result = None
        failure = None
        try:
            result = handler(**kwargs)
        except Exception as exc:
            failure = exc
        if failure is None and is_awaitable(result):
            close = getattr(result, "close", None)
            if close is not None:
                close()  # never run
            failure = errors.UsageError("async handler used by a sync pump")
            result = None
        answer, problem = self._session.answer(event.unique_id, result, failure)
        if problem is not None:
            self._report("handler for %s %s" % (event.action, event.unique_id), problem)
        self._flush()
        if answer != "result":
            return
        for hook, hook_kwargs in afters:
            try:
                outcome = hook(**hook_kwargs)
            except Exception as exc:
                self._report("@after for %s" % event.action, exc)
                continue
            if is_awaitable(outcome):
                if hasattr(outcome, "close"):
                    outcome.close()  # never run
                self._report("async @after skipped by a sync pump")
        self._flush()

    def _on_event(self, event):
        """A finishing event of one of our CALLs is kept for its caller; the
        rest is reported: input dropped or refused, or an outcome with the
        outcome store full."""
        kind = event.kind
        unique_id = event.unique_id
        if kind == "UnmatchedResponse":
            self._report("dropped %s response %s" % (event.reason, unique_id))
        elif kind == "FrameRejected":
            self._report("rejected frame", event.error)
        elif unique_id in self._awaiting:
            del self._awaiting[unique_id]
            if len(self._outcomes) >= OUTCOME_LIMIT:
                self._report("outcome store full; dropping %s" % unique_id)
            else:
                self._outcomes[unique_id] = event

    def _flush(self):
        for frame in self._session.data_to_send():
            self._send(frame)

    # ------------------------------------------------------------- calls

    def _submit_call(self, payload, unique_id=None, now=None, validate=True):
        """Hand a CALL to the session; returns its unique id. The finishing
        event lands in ``take_outcome(unique_id)``."""
        if now is None:
            now = self._now()
        unique_id = self._session.send_call(payload, now, unique_id=unique_id, validate=validate)
        self._awaiting[unique_id] = True
        self._flush()
        return unique_id

    def take_outcome(self, unique_id):
        """The event that finished our CALL ``unique_id``, or None yet."""
        return self._outcomes.pop(unique_id, None)

    @staticmethod
    def outcome(event, suppress=True):
        """The value ``call`` returns for a finishing event, or raise.

        ResultReceived → the typed response. CallErrorReceived → None when
        ``suppress``, else its OCPPError. ResultRejected → its OCPPError
        always (the peer's answer broke the schema or the frame rules; there
        is no response to hand back). CallTimedOut → CallTimeoutError.
        CallCancelled → CallCancelledError.
        """
        kind = event.kind
        if kind == "ResultReceived":
            return event.response
        if kind == "CallErrorReceived" and suppress:
            return None
        raise outcome_error(event)

    def close(self):
        """Close the session; CALLs still pending end as CallCancelled."""
        for event in self._session.close():
            self._on_event(event)
