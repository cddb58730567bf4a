"""How the portable tier's modules depend on each other (issue 12: modules by
owner), read from their syntax trees:

* no import cycle, counting imports anywhere in a module;
* every import at module level: nothing is imported while a session runs,
  so no import can fail later for lack of memory and leave a module half
  made (MicroPython 1.13 keeps it in sys.modules, issue 11);
* no module reads or writes another module's private names: ``x._name``
  is fine on ``self`` and ``cls``, or where the module defines ``_name``
  itself; ``from .m import _name`` never is.

Each check runs on a small package made to break it, so it can fail.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTABLE = ROOT / "runtime" / "ocppj"
PACKAGE = "ocppj"


def _modules(folder):
    """{module name: syntax tree} of a package folder."""
    return {path.stem: ast.parse(path.read_text()) for path in sorted(folder.glob("*.py"))}


def _imported(node, package):
    """Modules of ``package`` the import statement ``node`` imports."""
    names = []
    if isinstance(node, ast.ImportFrom):
        if node.level == 1 and node.module is None:
            names = [alias.name for alias in node.names]
        elif node.level == 1:
            names = [node.module.split(".")[0]]
        elif node.module == package:
            names = [alias.name for alias in node.names]
        elif node.module and node.module.startswith(package + "."):
            names = [node.module.split(".")[1]]
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith(package + "."):
                names.append(alias.name.split(".")[1])
    return names


def import_graph(modules, package=PACKAGE):
    """{module: sorted modules of the package it imports}."""
    graph = {}
    for name, tree in modules.items():
        targets = set()
        for node in ast.walk(tree):
            targets.update(t for t in _imported(node, package) if t in modules)
        graph[name] = sorted(targets)
    return graph


def on_cycles(graph):
    """The modules of ``graph`` that are part of an import cycle (those that
    can reach themselves), sorted."""
    found = []
    for start in sorted(graph):
        seen = set()
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        if start in seen:
            found.append(start)
    return found


def nested_imports(modules):
    """["module:line", ...] of import statements inside a function or class."""
    found = []
    for name, tree in modules.items():
        for scope in ast.walk(tree):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for node in ast.walk(scope):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        found.append("%s:%d" % (name, node.lineno))
    return sorted(set(found))


def _private(name):
    return name.startswith("_") and not name.startswith("__")


def _defined_names(tree):
    """Private names a module defines: module globals, class attributes and
    methods, and attributes it assigns on ``self``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.attr)
        elif isinstance(node, ast.Global):
            names.update(node.names)
    return {name for name in names if _private(name)}


def private_reaches(modules):
    """["module:line x._name", ...] where a module uses a private name it
    does not define, on something other than self or cls."""
    found = []
    for name, tree in modules.items():
        own = _defined_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                base = node.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                    continue
                if node.attr not in own:
                    found.append("%s:%d .%s" % (name, node.lineno, node.attr))
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if _private(alias.name):
                        found.append("%s:%d import %s" % (name, node.lineno, alias.name))
    return found


@pytest.fixture(scope="module")
def portable():
    return _modules(PORTABLE)


def test_the_portable_tier_has_no_import_cycle(portable):
    graph = import_graph(portable)
    assert graph["session"], graph  # the graph sees the imports
    assert on_cycles(graph) == []


def test_the_portable_tier_imports_at_module_level_only(portable):
    assert nested_imports(portable) == []


def test_no_module_reaches_into_another_modules_private_names(portable):
    assert private_reaches(portable) == []


BROKEN = {
    "a.py": (
        "from . import b\n"
        "class A:\n"
        "    def __init__(self):\n"
        "        self._mine = 1\n"
        "    def peek(self, other):\n"
        "        return other._mine\n"  # a defines _mine: fine
    ),
    "b.py": (
        "import ocppj.c\n"
        "def use(a_thing):\n"
        "    from . import a\n"  # nested import, closing a <-> b
        "    return a_thing._mine\n"  # b does not define _mine
    ),
    "c.py": "from .a import _hidden\n",  # a private name imported; c -> a -> b -> c
}


def test_the_checks_find_what_they_look_for(tmp_path):
    for name, source in BROKEN.items():
        (tmp_path / name).write_text(source)
    modules = _modules(tmp_path)
    graph = import_graph(modules)
    assert graph == {"a": ["b"], "b": ["a", "c"], "c": ["a"]}
    assert on_cycles(graph) == ["a", "b", "c"]
    assert nested_imports(modules) == ["b:3"]
    assert private_reaches(modules) == ["b:4 ._mine", "c:1 import _hidden"]


def made_classes(modules):
    """["module:line ..."] of classes that help(), IDEs and type checkers
    cannot see: made by type(name, bases, namespace), or behind a module
    __getattr__ (PEP 562)."""
    found = []
    for name, tree in modules.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
                found.append("%s:%d module __getattr__" % (name, node.lineno))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "type"
                and len(node.args) == 3
            ):
                found.append("%s:%d type() with 3 arguments" % (name, node.lineno))
    return found


def test_classes_are_class_statements(portable):
    assert made_classes(portable) == []
    broken = ast.parse("def __getattr__(name):\n    return type(name, (Exception,), {})\n")
    assert made_classes({"x": broken}) == [
        "x:1 module __getattr__",
        "x:2 type() with 3 arguments",
    ]


def test_help_shows_the_error_and_event_classes():
    import pydoc

    from ocppj import errors, events

    text = pydoc.render_doc(errors.FormationViolation, renderer=pydoc.plaintext)
    assert "class FormationViolation(OCPPError)" in text
    assert "syntactically" in text and "code = 'FormationViolation'" in text
    for name in ("CallReceived", "ResultRejected", "FrameRejected", "CallTimedOut"):
        text = pydoc.render_doc(getattr(events, name), renderer=pydoc.plaintext)
        assert "class %s(Event)" % name in text
        assert "__init__(self, unique_id" in text
