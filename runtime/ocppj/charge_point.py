"""The ChargePoint facade shared by every pump (MicroPython-safe, no I/O).

Modelled on mobilityhouse ``ocpp.ChargePoint`` and its QuecPython port: one
object per OCPP-J connection, ``@on``/``@after`` handler methods, ``_call``
and ``_call_result`` namespaces for payload classes. On the central system
side the object stands for the remote charge point (mobilityhouse naming),
so the role of *this end* is worked out from the handlers: handlers for
actions a charge point initiates (BootNotification, ...) mean this end is
the CentralSystem and vice versa; a generated handler table
(``OCPP_HANDLERS``) counts with all its actions, overridden or not. Pass ``role`` (or set the class attribute)
when the handlers do not tell (none, only DataTransfer, or both kinds).

This class holds the sync steps; pumps add the I/O:

* ``route_message(text)`` runs one incoming message through the core and
  sync handlers, sends the answers through ``connection.send(text)`` and
  then runs ``@after`` hooks. An async pump (ocppj_aio) overrides it.
* ``_submit_call``/``outcome`` are the two halves of a ``call`` that a pump
  joins around its own way of waiting.
"""

# A monotonic clock where there is one (MicroPython has time.time only).
try:
    from time import monotonic as _clock
except ImportError:
    from time import time as _clock

from .core import CENTRAL_SYSTEM, CHARGE_POINT, Connection, is_bidirectional
from .routing import Router
from .validation import Validation, as_validation

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
        except Exception:
            raise AttributeError(name)


# What connections share rather than hold one each (fewer objects for the
# garbage collector to walk): protocol -> (requests namespace, responses
# namespace), and True -> the check-everything policy. Names reused from
# routing on purpose: in MicroPython source bundles every new identifier is
# interned, and one more can double the interned-string pool.
_TABLES = {}


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


class ChargePoint:
    protocol = None
    role = None
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
            protocol = type(self).protocol
        if protocol is None:
            from . import misuse

            raise misuse.no_protocol()
        self.id = id
        self.protocol = protocol
        self._connection = connection
        self._response_timeout = response_timeout
        table = _TABLES.get(protocol)
        if table is None:
            table = (
                PayloadNamespace(protocol.request_class),
                PayloadNamespace(protocol.response_class),
            )
            _TABLES[protocol] = table
        self._call, self._call_result = table
        self._router = Router(self, protocol)
        if role is None:
            role = type(self).role
        if role is None:
            role = infer_role(protocol, self._router.declared_actions())
        # Connections that check everything and whose handlers skip nothing
        # share one policy (nothing changes a policy once made). Otherwise a
        # copy: the handlers' skips must not leak into a policy the
        # application shares between connections.
        actions = self._router.skipped_actions()
        shared = not actions and (validation is None or validation is True)
        policy = None
        if shared:
            policy = _TABLES.get(True)
        if policy is None:
            given = as_validation(validation)
            policy = Validation(
                given.incoming,
                given.outgoing,
                list(given._skip_incoming) + actions,
                list(given._skip_outgoing) + actions,
            )
            if shared:
                _TABLES[True] = policy
        self._session = Connection(
            protocol,
            role,
            response_timeout=response_timeout,
            validation=policy,
            **session_options,
        )
        self._router.connection = self._session
        self._awaiting = {}  # our CALL id -> True while a pump waits for it
        self._outcomes = {}  # our CALL id -> finishing event

    # ------------------------------------------------------------- hooks

    def _now(self):
        return _clock()

    def _send(self, text):
        self._connection.send(text)

    def _report(self, message, problem=None):
        """Unusual things the peer or a handler did. Logged (print without
        a logging module), never raised: the connection goes on."""
        from . import rejection

        rejection.report(self.id, message, problem)

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
        handler, kwargs = self._router.prepare(event)
        result = None
        failure = None
        try:
            result = handler(**kwargs)
        except Exception as exc:
            failure = exc
        if failure is None and is_awaitable(result):
            from . import misuse

            failure = misuse.async_handler(result)
            result = None
        done = self._router.complete(event, result=result, exc=failure)
        if done.problem is not None:
            from . import rejection

            rejection.report_problem(self, event, done.problem, False)
        self._flush()
        for after, kwargs in done.afters:
            try:
                outcome = after(**kwargs)
                if is_awaitable(outcome):
                    from . import misuse

                    misuse.async_after(self, outcome)
            except Exception as exc:
                from . import rejection

                rejection.report_problem(self, event, exc, True)
        self._flush()

    def _on_event(self, event):
        kind = event.kind
        unique_id = event.unique_id
        if (
            kind == "UnmatchedResponse"
            or kind == "FrameRejected"
            or (unique_id in self._awaiting and len(self._outcomes) >= OUTCOME_LIMIT)
        ):
            # Reported, not kept: rejection.py's, like the input refused.
            from . import rejection

            rejection.report_event(self, event)
        elif unique_id in self._awaiting:
            del self._awaiting[unique_id]
            self._outcomes[unique_id] = event

    def _flush(self):
        for frame in self._session.data_to_send():
            self._send(frame)

    # ------------------------------------------------------------- calls

    def _submit_call(self, payload, unique_id=None, now=None, validate=True):
        """Hand a CALL to the core; returns its unique id. The finishing
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
        # Every other outcome is an exception, whose class error_classes.py
        # makes: that module is loaded by then.
        from . import error_classes

        raise error_classes.outcome_error(event)

    def close(self):
        """Close the session; CALLs still pending end as CallCancelled."""
        for event in self._session.close():
            self._on_event(event)
