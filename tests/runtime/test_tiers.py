"""The two runtime tiers: the portable one (runtime/ocppj, the folder a
device gets) never imports the CPython one (runtime/ocppj_aio)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTABLE = ROOT / "runtime" / "ocppj"
CPYTHON_TIER = "ocppj_aio"


def _imported_packages(path):
    """Top-level names a module imports, relative imports as "." ."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else (node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PORTABLE.rglob("*.py")), ids=lambda p: p.name)
def test_portable_module_does_not_import_the_cpython_tier(path):
    assert CPYTHON_TIER not in _imported_packages(path)


def test_importing_the_portable_tier_loads_nothing_of_the_cpython_tier():
    modules = sorted(p.stem for p in PORTABLE.glob("*.py") if p.stem != "__init__")
    probe = "import sys\n"
    probe += "".join("import ocppj.%s\n" % name for name in modules)
    probe += "print(sorted(m for m in sys.modules if m.startswith(%r)))\n" % CPYTHON_TIER
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_the_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from ocppj_aio import speedups\n")
    assert CPYTHON_TIER in _imported_packages(bad)
