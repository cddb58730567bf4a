"""A user's handlers for ``ocppj serve --handlers MODULE[:CLASS]``.

MODULE is an importable module name (``mypackage.handlers``) or the path
of a ``.py`` file. It defines:

* a ``ChargePoint`` subclass (``ocppj_aio.charge_point.ChargePoint`` or
  ``ocppj_aio.v16.ChargePoint``) whose ``@on``/``@after`` methods answer
  what charge points send; one object per connection. ``:CLASS`` names
  it; without it the module must define exactly one. CALLs it has no
  handler for get the demo server's answers (``ocppj_aio.demo``), so a
  module can handle just what it cares about;
* optionally ``on_connect(charge_point, link)`` and
  ``on_disconnect(charge_point, link)`` (sync or async): run for every
  connection, after the server's own;
* optionally ``async def main(central_system)``: started once the server
  listens, for the "active" side, e.g. ``await central_system.call("CP-1",
  call.Reset(type="Soft"))`` for a charge point ``on_connect`` saw. The
  server keeps running when it returns; an exception is logged.

examples/serve_handlers.py is one.
"""

import importlib
import importlib.util
import inspect
import os
import sys

from ocppj.errors import UsageError

from .charge_point import ChargePoint
from .demo import answering_class


class HandlersError(UsageError):
    """The handlers module cannot be used (one line: which and why)."""


class Handlers:
    """What a handlers module gave: ``charge_point_class`` (the user's
    class plus demo answers for the rest), ``on_connect``,
    ``on_disconnect`` and ``main`` (each None when absent)."""

    def __init__(self, charge_point_class, on_connect=None, on_disconnect=None, main=None):
        self.charge_point_class = charge_point_class
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.main = main


def _import(name):
    if name.endswith(".py") or os.sep in name:
        if not os.path.isfile(name):
            raise HandlersError("--handlers %s: no such file" % name)
        module_name = "ocppj_handlers_" + os.path.splitext(os.path.basename(name))[0]
        spec = importlib.util.spec_from_file_location(module_name, name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name == name or name.startswith(missing.name + "."):
            raise HandlersError(
                "--handlers %s: no such module (give a module name on the Python path or a"
                " path to a .py file)" % name
            ) from None
        raise


def load_handlers(spec, protocol, overrides=None):
    """``Handlers`` of ``MODULE[:CLASS]``; ``overrides`` go to the demo
    answers (``{"BootNotification": {"interval": 300}}``)."""
    name, _, class_name = spec.partition(":")
    if os.path.isfile(spec):
        name, class_name = spec, ""
    module = _import(name)
    if class_name:
        cls = getattr(module, class_name, None)
        if not (inspect.isclass(cls) and issubclass(cls, ChargePoint)):
            raise HandlersError(
                "--handlers %s: %s is not a ChargePoint subclass in %s" % (spec, class_name, name)
            )
    else:
        found = [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, ChargePoint)
            and value.__module__ == module.__name__
        ]
        if len(found) != 1:
            raise HandlersError(
                "--handlers %s: define exactly one ChargePoint subclass in it, or name one"
                " (MODULE:CLASS); found %s" % (spec, ", ".join(c.__name__ for c in found) or "none")
            )
        cls = found[0]
    return Handlers(
        _with_demo_answers(cls, protocol, overrides),
        getattr(module, "on_connect", None),
        getattr(module, "on_disconnect", None),
        getattr(module, "main", None),
    )


def _with_demo_answers(cls, protocol, overrides):
    """``cls`` plus the demo's answer for every CALL it has no handler for."""
    from ocppj.routing import Router

    demo = answering_class(protocol, "CentralSystem", overrides)
    # the router reads a class's handlers from an object of it; one that
    # was never initialised is enough
    handled = set(Router(cls.__new__(cls), protocol).actions())
    namespace = {"role": "CentralSystem"}
    if getattr(cls, "protocol", None) is None:
        namespace["protocol"] = protocol
    for name in dir(demo):
        if name.startswith("answer_") and name[len("answer_") :] not in handled:
            namespace[name] = getattr(demo, name)
    return type(cls.__name__, (cls,), namespace)
