"""Route CallReceived events to handler methods and turn outcomes into answers.

Handlers are methods of one object (usually a ChargePoint subclass):

    class MyCentralSystem(ChargePoint):
        @on("BootNotification")
        def boot(self, charge_point_vendor, charge_point_model, **kwargs):
            return protocol.response_class("BootNotification")(...)

        @after("BootNotification")
        def booted(self, **kwargs):
            ...  # runs once the answer is handed to the transport

Generated handler classes instead list ``OCPP_HANDLERS = {"Action":
"on_action", ...}`` with stub methods marked ``ocpp_stub = True``; a method
counts as a handler once a subclass overrides it (the stub mark is gone).

MicroPython functions take no attributes (``f.x = 1`` raises
AttributeError), so ``on``/``after`` record their marks in a table keyed by
the function object instead of on the function itself. Generated stubs for
MicroPython can be any object with an ``ocpp_stub`` attribute.

The router is sync on purpose: ``prepare`` gives the pump a callable and its
keyword arguments; the pump calls it (awaiting if it must), then hands the
outcome to ``complete``, which sends the answer and returns the ``@after``
calls to run next.
"""

from . import errors

# function -> list of marks, each a tuple ("on" or "after", action,
# skip_schema_validation, call_unique_id_required)
_MARKS = {}


def _marker(kind, action, skip_schema_validation, call_unique_id_required):
    # str-based Enum members (mobilityhouse's Action.boot_notification) hash
    # by member name, so use their value as the key.
    name = getattr(action, "value", action)
    if type(name) is not str:
        from . import misuse

        raise misuse.not_an_action(action)
    mark = (kind, name, skip_schema_validation, call_unique_id_required)

    def decorate(function):
        marks = _MARKS.get(function)
        if marks is None:
            marks = []
            _MARKS[function] = marks
        marks.append(mark)
        return function

    return decorate


def on(action, skip_schema_validation=False, call_unique_id_required=False):
    """Make the method the handler of incoming CALLs of ``action``.

    It receives the request's fields as snake_case keyword arguments (only
    fields present in the payload), plus ``call_unique_id`` when
    ``call_unique_id_required``. It returns the response payload object, or
    raises an OCPPError subclass to answer with that CALLERROR.
    ``skip_schema_validation`` stops schema checks of this action's incoming
    requests and outgoing responses (see validation.py for what that lets
    through).
    """
    return _marker("on", action, skip_schema_validation, call_unique_id_required)


def after(action, call_unique_id_required=False):
    """Run the method after a CALL of ``action`` was answered with a
    CALLRESULT and that answer was handed to the transport. Same keyword
    arguments as the ``on`` handler; its return value is ignored (awaited
    in a separate task by the asyncio pump, so it may send CALLs)."""
    return _marker("after", action, False, call_unique_id_required)


class Completion:
    """What ``Router.complete`` did. ``answer`` is ``"result"`` or
    ``"error"`` (or None if nothing could be sent, e.g. closed);
    ``afters`` the ``(callable, kwargs)`` pairs to run now; ``problem`` the
    exception that made us answer InternalError (handler crash, wrong
    return type, invalid response) or that prevented answering, else None."""

    def __init__(self, answer, afters, problem):
        self.answer = answer
        self.afters = afters
        self.problem = problem


# handler class -> (on, after, table_actions), built once per class (by the
# first Router for it, inline: one function less on MicroPython): a
# connection then holds no bound methods or tuples of its own (the load
# benchmark found per-connection tables a large share of GC work). on maps
# action -> (function, attribute name, mark or None); after maps action ->
# list of (attribute name, mark). Bound methods are looked up at dispatch.
_TABLES = {}


def _add_on(on, action, function, name, mark):
    known = on.get(action)
    if known is not None:
        if known[0] is function:
            if known[2] is None:
                on[action] = (function, name, mark)
            return
        from . import misuse

        raise misuse.two_handlers(action)
    on[action] = (function, name, mark)


class Router:
    def __init__(self, handler, protocol, connection=None):
        self.handler = handler
        self.protocol = protocol
        self.connection = connection
        cls = type(handler)
        tables = _TABLES.get(cls)
        if tables is None:
            on = {}
            after = {}
            names = []
            for name in dir(cls):
                if name[:2] != "__":
                    names.append(name)
            names.sort()  # MicroPython's dir() order differs from CPython's
            for name in names:
                try:
                    function = getattr(cls, name)
                    marks = _MARKS.get(function)
                except Exception:
                    # unhashable or odd class attributes are simply not handlers
                    continue
                if not marks:
                    continue
                for mark in marks:
                    if mark[0] == "on":
                        _add_on(on, mark[1], function, name, mark)
                    else:
                        after.setdefault(mark[1], []).append((name, mark))
            table = getattr(cls, "OCPP_HANDLERS", None)
            table_actions = []
            if table:
                table_actions = sorted(table)
                for action in table_actions:
                    name = table[action]
                    function = getattr(cls, name, None)
                    if function is None or getattr(function, "ocpp_stub", False):
                        continue
                    _add_on(on, action, function, name, None)
            tables = (on, after, table_actions)
            _TABLES[cls] = tables
        self._on, self._after, self._table_actions = tables

    def actions(self):
        """Actions with a handler, sorted."""
        return sorted(self._on)

    def declared_actions(self):
        """Actions with a handler plus every action of a generated handler
        table, overridden or not: what this end says it receives."""
        declared = {}
        for action in self._on:
            declared[action] = True
        for action in self._table_actions:
            declared[action] = True
        return sorted(declared)

    def skipped_actions(self):
        """Actions whose handler asked for skip_schema_validation."""
        skipped = []
        for action in sorted(self._on):
            mark = self._on[action][2]
            if mark is not None and mark[2]:
                skipped.append(action)
        return skipped

    def has_handler(self, action):
        return action in self._on

    def prepare(self, event):
        """(callable, kwargs) for a CallReceived. Never raises: without a
        handler the callable raises NotSupported, so ``complete`` answers
        every CALL the same way."""
        entry = self._on.get(event.action)
        if entry is None:
            from . import rejection

            return rejection.raiser(rejection.no_handler(event.action)), {}
        try:
            # request_kwargs makes a new dict on every call: ours to add to
            kwargs = self.protocol.request_kwargs(event.request)
            mark = entry[2]
            if mark is not None and mark[3]:
                kwargs["call_unique_id"] = event.unique_id
        except Exception:
            from . import rejection

            return rejection.raiser(rejection.unreadable_fields(event.action)), {}
        return getattr(self.handler, entry[1]), kwargs

    def complete(self, event, result=None, exc=None):
        """Send the answer for ``event``: ``exc`` an OCPPError → that
        CALLERROR; any other exception → InternalError with a generic
        description (internals stay private); else ``result`` must be the
        action's response object → CALLRESULT (InternalError if it is not,
        or if it fails outgoing validation)."""
        problem = None
        answer = None
        if exc is None:
            try:
                self.connection.send_result(event.unique_id, result)
                answer = "result"
            except errors.UsageError as refused:
                exc = refused
        if answer is None:
            # Answering with a CALLERROR is a rare path: rejection.py's.
            from . import rejection

            answer, problem = rejection.answer_error(self.connection, event, exc)
        afters = []
        if answer == "result" and event.action in self._after:
            for name, mark in self._after[event.action]:
                try:
                    bound = getattr(self.handler, name)
                    kwargs = self.protocol.request_kwargs(event.request)
                    if mark[3]:  # an @after mark, never None
                        kwargs["call_unique_id"] = event.unique_id
                    afters.append((bound, kwargs))
                except Exception as failure:
                    problem = failure
        return Completion(answer, afters, problem)
