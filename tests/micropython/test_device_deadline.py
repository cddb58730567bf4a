"""The device pump's deadline on an integer clock (mp_deadline.py), on a
real MicroPython and on CPython."""

import subprocess
import sys

from .support import FLAVOUR, HERE, ROOT, RUNTIME, micropython


def _check(stdout):
    lines = stdout.splitlines()
    assert lines and lines[-1] == "DONE", stdout[-3000:]
    results = [line for line in lines if line.startswith(("PASS ", "FAIL "))]
    assert len(results) == 2, results
    failures = [line for line in results if line.startswith("FAIL")]
    assert not failures, "\n".join(failures)


def test_device_deadline_on_micropython():
    completed = micropython([HERE / "mp_deadline.py", FLAVOUR, RUNTIME], heap="256k")
    assert completed.returncode == 0, completed.stderr[-2000:]
    _check(completed.stdout)


def test_device_deadline_on_cpython():
    completed = subprocess.run(
        [sys.executable, str(HERE / "mp_deadline.py"), str(FLAVOUR), str(RUNTIME)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    _check(completed.stdout)
