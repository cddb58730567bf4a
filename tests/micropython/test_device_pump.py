"""ocppj.device, the blocking MicroPython pump (ChargePoint(id, connection,
response_timeout), start(), call()), against a scripted central system on a
real MicroPython with the MicroPython flavour, and on CPython."""

import subprocess
import sys

from .support import FLAVOUR, HERE, ROOT, RUNTIME, micropython


def _check(stdout):
    lines = stdout.splitlines()
    assert lines and lines[-1] == "DONE", stdout[-3000:]
    results = [line for line in lines if line.startswith(("PASS ", "FAIL "))]
    assert len(results) == 4, results
    failures = [line for line in results if line.startswith("FAIL")]
    assert not failures, "\n".join(failures)


def test_device_pump_on_micropython():
    completed = micropython([HERE / "mp_pump.py", FLAVOUR, RUNTIME], heap="256k")
    assert completed.returncode == 0, completed.stderr[-2000:]
    _check(completed.stdout)


def test_device_pump_on_cpython():
    completed = subprocess.run(
        [sys.executable, str(HERE / "mp_pump.py"), str(FLAVOUR), str(RUNTIME)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    _check(completed.stdout)
