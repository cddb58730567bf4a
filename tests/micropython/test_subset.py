"""A static check that keeps MicroPython 1.13 code in its subset.

No 1.13 interpreter runs in CI, so every construct QuecPython's
MicroPython 1.13 lacks (or spells differently) is refused here, by an AST
walk over the MicroPython flavour (generated/micropython) and the runtime
(runtime/ocppj, the portable tier: the folder a device gets).
"""

import ast

import pytest

from .support import FLAVOUR, RUNTIME

BANNED_MODULES = {"dataclasses", "typing", "enum", "abc", "re", "ure", "functools", "asyncio"}
BANNED_NAMES = {"frozenset", "reversed", "OrderedDict"}
# Attributes MicroPython 1.13 lacks: bytes.hex, fn.__name__, and str methods
# its str type does not have.
BANNED_ATTRIBUTES = {
    "hex",
    "__name__",
    "isalnum",
    "isidentifier",
    "isascii",
    "isdecimal",
    "isnumeric",
    "isprintable",
    "casefold",
    "zfill",
    "format_map",
    "maketrans",
    "removeprefix",
    "removesuffix",
}
# Modules MicroPython names u<name>: import them with a fallback.
U_MODULES = {
    "json",
    "time",
    "os",
    "socket",
    "struct",
    "random",
    "select",
    "binascii",
    "collections",
    "hashlib",
    "io",
    "errno",
    "heapq",
    "zlib",
    "ssl",
    "array",
}
PACKAGES = {"ocpp16", "ocppj", "usr"}


def subset_files():
    files = sorted((FLAVOUR / "ocpp16").glob("*.py"))
    files += sorted(RUNTIME.joinpath("ocppj").rglob("*.py"))
    return files


def _guarded_by_import_error(tree):
    """Import nodes that sit in a try whose handlers catch ImportError."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            names = set()
            for handler in node.handlers:
                for n in ast.walk(handler.type) if handler.type is not None else ():
                    if isinstance(n, ast.Name):
                        names.add(n.id)
            if "ImportError" in names:
                for child in node.body + [s for h in node.handlers for s in h.body]:
                    for n in ast.walk(child):
                        if isinstance(n, (ast.Import, ast.ImportFrom)):
                            guarded.add(id(n))
    return guarded


def violations(source, filename="<source>"):
    """Every construct outside the MicroPython 1.13 subset, as messages."""
    tree = ast.parse(source, filename)
    guarded = _guarded_by_import_error(tree)
    found = []

    def bad(node, what):
        found.append("%s:%d: %s" % (filename, getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            bad(node, "f-string")
        elif isinstance(node, ast.Dict) and any(key is None for key in node.keys):
            bad(node, "{**a} merge")
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(
            isinstance(e, ast.Starred) for e in node.elts
        ):
            bad(node, "* unpacking in a display")
        elif isinstance(node, ast.AnnAssign) or (
            isinstance(node, ast.arg) and node.annotation is not None
        ):
            bad(node, "annotation")
        elif isinstance(node, ast.FunctionDef) and node.returns is not None:
            bad(node, "annotation")
        elif isinstance(node, ast.NamedExpr):
            bad(node, "assignment expression")
        elif isinstance(node, ast.Name) and node.id in BANNED_NAMES:
            bad(node, node.id)
        elif isinstance(node, ast.Attribute) and node.attr in BANNED_ATTRIBUTES:
            bad(node, "." + node.attr)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("dumps", "dump") and node.keywords:
                bad(node, "json.%s keyword arguments" % func.attr)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif node.level:
                continue  # relative: fine
            else:
                modules = [node.module or ""]
            for module in modules:
                top = module.split(".")[0]
                if top in PACKAGES:
                    bad(node, "absolute import of %s (relative imports only)" % module)
                elif (
                    top in BANNED_MODULES
                    or top.lstrip("u") in BANNED_MODULES - {"re"}
                    or top == "re"
                ):
                    bad(node, "import %s" % module)
                elif top in U_MODULES and id(node) not in guarded:
                    bad(node, "import %s without an ImportError fallback (u%s)" % (module, top))
                for alias in getattr(node, "names", ()):
                    if alias.name in BANNED_NAMES:
                        bad(node, "import %s" % alias.name)
    return found


def test_the_checked_tree_is_what_a_device_gets():
    names = {p.name for p in subset_files()}
    assert {"protocol.py", "profile_core.py", "call.py", "enums.py"} <= names
    assert {"session.py", "routing.py", "framing.py"} <= names
    assert not any("aio" in p.parts for p in subset_files())


@pytest.mark.parametrize("path", subset_files(), ids=lambda p: "%s/%s" % (p.parent.name, p.name))
def test_file_stays_in_the_micropython_113_subset(path):
    problems = violations(path.read_text(encoding="utf-8"), str(path))
    assert not problems, "\n".join(problems)


def test_flavour_package_init_is_empty():
    tree = ast.parse((FLAVOUR / "ocpp16" / "__init__.py").read_text())
    assert tree.body == []


@pytest.mark.parametrize(
    "snippet, complaint",
    [
        ("x = f'{a}'", "f-string"),
        ("from dataclasses import dataclass", "import dataclasses"),
        ("import typing", "import typing"),
        ("from enum import Enum", "import enum"),
        ("import abc", "import abc"),
        ("import re", "import re"),
        ("d = {**a, 'b': 1}", "{**a} merge"),
        ("s = b.hex()", ".hex"),
        ("s = frozenset(a)", "frozenset"),
        ("for x in reversed(a): pass", "reversed"),
        ("from collections import OrderedDict", "OrderedDict"),
        ("json.dumps(a, separators=(',', ':'))", "keyword arguments"),
        ("n = fn.__name__", ".__name__"),
        ("import json", "without an ImportError fallback"),
        ("from ocpp16 import protocol", "relative imports only"),
        ("def f(a: int) -> int: return a", "annotation"),
        ("x = [*a, *b]", "* unpacking"),
        ("ok = s.isalnum()", ".isalnum"),
    ],
)
def test_the_check_refuses(snippet, complaint):
    problems = violations(snippet)
    assert problems and any(complaint in p for p in problems), problems


def test_the_check_accepts_the_usual_fallback():
    source = (
        "try:\n    import ujson as json\nexcept ImportError:\n    import json\nfrom . import core\n"
    )
    assert violations(source) == []
