"""ocppj.device, the blocking MicroPython pump (ChargePoint(id, connection,
response_timeout), start(), call()), against a scripted central system on
real MicroPythons (1.29 and the 1.13 stand-in, source and bytecode) with the
MicroPython flavour, and on CPython."""

import subprocess
import sys

import pytest

from .support import FLAVOUR, HERE, ROOT, RUNTIME, TARGET_IDS, TARGETS, micropython


def _check(stdout):
    lines = stdout.splitlines()
    assert lines and lines[-1] == "DONE", stdout[-3000:]
    results = [line for line in lines if line.startswith(("PASS ", "FAIL "))]
    assert len(results) == 4, results
    failures = [line for line in results if line.startswith("FAIL")]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_device_pump_on_micropython(target):
    arguments = [HERE / "mp_pump.py", target.flavour_parent(), target.runtime_parent()]
    completed = micropython(arguments, heap="256k", target=target)
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
