"""The familiar API (port names, isinstance, dataclass-like constructors,
snake_case attributes, enums with the CPython flavour's member names) on a
real MicroPython, and the same script on CPython."""

import subprocess
import sys
from enum import Enum

import pytest
from ocpp16 import enums as cpython_enums

from .support import FLAVOUR, HERE, ROOT, micropython

ENUM_NAMES = sorted(
    name
    for name, value in vars(cpython_enums).items()
    if isinstance(value, type) and issubclass(value, Enum) and value is not Enum
)


def _lines(stdout):
    lines = stdout.splitlines()
    assert lines and lines[-1] == "DONE", stdout[-3000:]
    return lines


@pytest.fixture(scope="module")
def micro():
    completed = micropython([HERE / "mp_api.py", FLAVOUR] + ENUM_NAMES, heap="256k")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    return _lines(completed.stdout)


def test_every_api_check_passes_on_micropython(micro):
    results = [line for line in micro if line.startswith(("PASS ", "FAIL "))]
    assert len(results) >= 8
    failures = [line for line in results if line.startswith("FAIL")]
    assert not failures, "\n".join(failures)


def test_the_same_checks_pass_on_cpython():
    completed = subprocess.run(
        [sys.executable, str(HERE / "mp_api.py"), str(FLAVOUR)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=300,
    )
    lines = _lines(completed.stdout)
    assert not [line for line in lines if line.startswith("FAIL")], completed.stdout


def test_enum_members_match_the_cpython_flavour(micro):
    seen = set()
    for line in micro:
        if line.startswith("ENUM "):
            _, name, member, value = line.split(" ", 3)
            assert getattr(cpython_enums, name)[member].value == value, line
            seen.add((name, member))
    expected = {
        (name, member) for name in ENUM_NAMES for member in getattr(cpython_enums, name).__members__
    }
    assert seen == expected
