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


# The heap filled until the session's refusals fail for memory, then freed:
# the session must work as before. (A lazy import that fails for memory can
# leave its module half made in sys.modules on 1.13, breaking every later
# refusal; the runtime imports nothing after import time.)
OUT_OF_MEMORY = r"""
import gc
from usr.ocpp16 import protocol
from usr.ocppj.session import Session
s = Session(protocol, "CentralSystem")
frames = ['junk', '[2,"a","Nope",{}]', '[2,"b","Authorize",{}]', '[3,"c",{}]', b"\xff"]
# booted: what the Core profile needs is loaded (the protocol loads it on first use)
assert s.receive_text('[2,"w","Authorize",{"idTag":"T"}]', 0)[0].kind == "CallReceived"


def starve(frames):
    # locals only: a new global would need the heap it fills
    count = len(frames)
    failed = 0
    blocker = None  # a chain of pairs: no list to grow, and no garbage
    size = 4096
    while size >= 1:
        try:
            while True:
                blocker = (bytearray(size), blocker)
        except MemoryError:
            size //= 2
    for index in range(count):  # MicroPython counts without allocating
        try:
            s.receive_text(frames[index], 0)
            s.data_to_send()
        except MemoryError:
            failed += 1
    return failed


failed = starve(frames)
gc.collect()
kinds = []
for text in frames:
    for event in s.receive_text(text, 1):
        if event.kind == "FrameRejected":
            kinds.append(event.kind + ":" + event.error.code)
        else:
            kinds.append(event.kind)
print("FAILED", failed)
print(" ".join(kinds))
"""


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_a_session_outlives_running_out_of_memory(target):
    completed = footprint.run_micropython(
        target.bundle(), OUT_OF_MEMORY, heap=128 * 1024, interpreter=target.require()
    )
    lines = completed.stdout.splitlines()
    assert len(lines) == 2, completed.stdout + completed.stderr
    assert lines[0] == "FAILED 5", lines  # the full heap got in the way of each
    assert lines[1] == (
        "FrameRejected:FormationViolation FrameRejected:NotImplemented"
        " FrameRejected:OccurenceConstraintViolation UnmatchedResponse"
        " FrameRejected:FormationViolation"
    )
