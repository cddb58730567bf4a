"""Route CallReceived events to handler methods.

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

The router only finds: ``prepare`` gives the pump the handler to call, its
keyword arguments and the ``@after`` hooks to call once the CALL was
answered with a CALLRESULT. The pump calls the handler (awaiting it if it
must) and hands the outcome to the session (``Session.answer``).
"""

from . import errors

ON = "on"
AFTER = "after"


class Mark:
    """What ``@on`` or ``@after`` (``kind``) says of a function."""

    def __init__(self, kind, action, skip_schema_validation, call_unique_id_required):
        self.kind = kind
        self.action = action
        self.skip_schema_validation = skip_schema_validation
        self.call_unique_id_required = call_unique_id_required


# function -> [Mark, ...]
_MARKS: dict[object, list[Mark]] = {}


def _marker(kind, action, skip_schema_validation, call_unique_id_required):
    # str-based Enum members (mobilityhouse's Action.boot_notification) hash
    # by member name, so use their value as the key.
    name = getattr(action, "value", action)
    if type(name) is not str:
        raise errors.UsageError("an action is a string, not %r" % (action,))
    mark = Mark(kind, name, skip_schema_validation, call_unique_id_required)

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
    return _marker(
        ON,
        action,
        skip_schema_validation=skip_schema_validation,
        call_unique_id_required=call_unique_id_required,
    )


def after(action, call_unique_id_required=False):
    """Run the method after a CALL of ``action`` was answered with a
    CALLRESULT and that answer was handed to the transport. Same keyword
    arguments as the ``on`` handler; its return value is ignored (awaited
    in a separate task by the asyncio pump, so it may send CALLs)."""
    return _marker(
        AFTER, action, skip_schema_validation=False, call_unique_id_required=call_unique_id_required
    )


class Handler:
    """A handler class's method for one action: the ``function``, the
    ``name`` it is looked up by on the handler object, and its Mark (None
    for a method of a generated handler table)."""

    def __init__(self, function, name, mark):
        self.function = function
        self.name = name
        self.mark = mark


class Tables:
    """What a handler class handles, found once per class: ``on`` maps an
    action to its Handler, ``after`` an action to its list of Handlers, and
    ``table_actions`` are the actions of a generated handler table."""

    def __init__(self, cls):
        self.on: dict[str, Handler] = {}
        self.after: dict[str, list[Handler]] = {}
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
            for mark in marks or ():
                if mark.kind == ON:
                    self._add_on(Handler(function, name, mark))
                else:
                    self.after.setdefault(mark.action, []).append(Handler(function, name, mark))
        table = getattr(cls, "OCPP_HANDLERS", None)
        self.table_actions = []
        if table:
            self.table_actions = sorted(table)
            for action in self.table_actions:
                name = table[action]
                function = getattr(cls, name, None)
                if function is not None and not getattr(function, "ocpp_stub", False):
                    self._add_on(Handler(function, name, None), action)

    def _add_on(self, handler, action=None):
        if action is None:
            action = handler.mark.action
        known = self.on.get(action)
        if known is None:
            self.on[action] = handler
        elif known.function is not handler.function:
            raise errors.UsageError("two handlers for %s" % action)
        elif known.mark is None:
            # a table method that is also decorated: one handler, with its mark
            self.on[action] = handler


# handler class -> Tables, built by its first Router: a session then holds
# no bound methods or tables of its own (the load benchmark found
# per-connection tables a large share of GC work). Bound methods are looked
# up at dispatch.
_TABLES: dict[type, Tables] = {}


def _raiser(error):
    """A handler stand-in that refuses the CALL with ``error``."""

    def refuse(**kwargs):
        raise error

    return refuse


class Router:
    def __init__(self, handler, protocol):
        self.handler = handler
        self.protocol = protocol
        cls = type(handler)
        tables = _TABLES.get(cls)
        if tables is None:
            tables = Tables(cls)
            _TABLES[cls] = tables
        self._tables = tables

    def actions(self):
        """Actions with a handler, sorted."""
        return sorted(self._tables.on)

    def declared_actions(self):
        """Actions with a handler plus every action of a generated handler
        table, overridden or not: what this end says it receives."""
        declared = {}
        for action in self._tables.on:
            declared[action] = True
        for action in self._tables.table_actions:
            declared[action] = True
        return sorted(declared)

    def skipped_actions(self):
        """Actions whose handler asked for skip_schema_validation."""
        skipped = []
        for action in sorted(self._tables.on):
            mark = self._tables.on[action].mark
            if mark is not None and mark.skip_schema_validation:
                skipped.append(action)
        return skipped

    def has_handler(self, action):
        return action in self._tables.on

    def prepare(self, event):
        """``(handler, kwargs, afters)`` for a CallReceived: call
        ``handler(**kwargs)`` for the answer, and once a CALLRESULT answered
        the CALL each ``(hook, kwargs)`` of ``afters``. Never raises:
        without a handler, or when the request's fields cannot be read, the
        handler raises the CallError to answer with; an ``@after`` hook that
        cannot be prepared raises what went wrong."""
        handler = self._tables.on.get(event.action)
        if handler is None:
            error = errors.NotSupported("no handler for %s" % event.action)
            return _raiser(error), {}, ()
        try:
            kwargs = self._kwargs(event, handler.mark)
        except MemoryError:
            raise
        except Exception:
            unreadable = errors.FormationViolation(
                "%s request fields cannot be read" % event.action
            )
            return _raiser(unreadable), {}, ()
        hooks = self._tables.after.get(event.action)
        afters = self._afters(event, hooks) if hooks else ()
        return getattr(self.handler, handler.name), kwargs, afters

    def _afters(self, event, hooks):
        """``[(hook, kwargs), ...]`` of the ``@after`` hooks of a CALL."""
        afters = []
        for hook in hooks:
            try:
                afters.append((getattr(self.handler, hook.name), self._kwargs(event, hook.mark)))
            except Exception as failure:
                afters.append((_raiser(failure), {}))
        return afters

    def _kwargs(self, event, mark):
        # request_kwargs makes a new dict on every call: ours to add to
        kwargs = self.protocol.request_kwargs(event.request)
        if mark is not None and mark.call_unique_id_required:
            kwargs["call_unique_id"] = event.unique_id
        return kwargs
