"""What QuecPython's interpreter differs in, on the 1.13 stand-in (and on
1.29 where it applies): its own mpy-cross makes the bytecode `make device`
ships, and the runtime runs where only `utime` exists (QuecPython registers
no `time`)."""

import subprocess

import pytest

from bench import micropython_footprint as footprint
from tools import device

from .support import TARGET_IDS, TARGETS, built_bundle, stand_in


def test_the_stand_ins_mpy_cross_makes_the_shipped_v5_bytecode(tmp_path):
    compiler = stand_in().parent / "mpy-cross"
    if not compiler.exists():
        pytest.skip("MicroPython 1.13 stand-in's mpy-cross not found at %s" % compiler)
    bundle = built_bundle() / "mpy-v5" / "usr"
    compared = 0
    for name, source in device.device_sources():
        module = name[: -len(".py")]
        target = tmp_path / (module.replace("/", "_") + ".mpy")
        command = [str(compiler), "-O3", "-mno-unicode", "-s", "usr/%s.mpy" % module]
        subprocess.run(command + ["-o", str(target), str(source)], check=True)
        assert target.read_bytes() == (bundle / (module + ".mpy")).read_bytes(), name
        compared += 1
    assert compared == len(device.device_sources())


# A time module that is not there, as on QuecPython: a file of that name
# that fails to import shadows the stand-in's weak link to utime.
NO_TIME = "raise ImportError(\"no module named 'time'\")\n"

ONLY_UTIME = r"""
try:
    import time
    raise SystemExit("time is still importable")
except ImportError:
    pass
from usr.ocpp16 import protocol
from usr.ocppj.device import ChargePoint
class Wire:
    def __init__(self):
        self.sent = []
    def send(self, text):
        self.sent.append(text)
wire = Wire()
cp = ChargePoint("CP-1", wire, protocol=protocol, response_timeout=5)
cp._submit_call(cp._call.HeartbeatPayload())
start = cp._now()
assert type(start) in (int, float)
cp.handle_timer(start + 6)
print("SENT", len(wire.sent), "OUTCOMES", len(cp._outcomes))
"""


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_the_runtime_runs_with_utime_only(target, tmp_path):
    interpreter = target.require()
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "usr").symlink_to(target.bundle() / "usr", target_is_directory=True)
    (stage / "time.py").write_text(NO_TIME)
    completed = footprint.run_micropython(stage, ONLY_UTIME, interpreter=interpreter)
    assert completed.stdout.strip().endswith("SENT 1 OUTCOMES 1"), (
        completed.stdout + completed.stderr
    )
