"""MicroPython footprint of the MicroPython flavour and the runtime, on real
MicroPythons: 1.29 (the unix port in .venv, 64-bit) with the .py and .mpy v6
bundles, and the 1.13 stand-in for QuecPython's interpreter (32-bit, no
unicode str; $OCPPJ_MICROPYTHON_113 or ../shared/tools/micropython-1.13-quec)
with the .py and .mpy v5 bundles, where it is present.

    python -m bench.micropython_footprint      (or as a `make bench` section: run())

Everything is deterministic on MicroPython: each figure comes from a fresh
interpreter, `gc.collect()` and `gc.mem_free()` around the step. Modules
are imported by the relative path usr/<package>/<module> (sys.path[0] = ""),
so the file names MicroPython interns are as short as on a device
(/usr/...) and no figure depends on where the bundle was staged. Figures:

- heap retained after importing (a) the Core profile (protocol + its Core
  tables), (b) all 39 actions (every profile's tables), (c) the runtime core
  (ocppj.session, routing, charge_point and what they import) on top of
  (a); from the .py bundle and from the .mpy bundles `make device` builds
  (mpy-cross -O3);
- the same runtime core module by module (each imported after the ones it
  needs, on top of (a)), and the heap a charge point session holds once it
  has booted and served a CALL;
- .mpy bytes per bytecode generation (v6: MicroPython 1.22+, v5 without
  unicode: QuecPython's 1.13);
- the smallest `-X heapsize` at which the import succeeds (binary search);
- bytes allocated (heap growth with the GC disabled) and time to build and
  encode, and to decode and validate, a BootNotification and a MeterValues
  with 10 sampled values, JSON text included, and the ratio to the length
  of the JSON text.

The incumbent (the existing QuecPython OCPP port) cannot be installed here;
its figures as the issue reports them (MicroPython 1.29 unix, 64-bit) are
printed beside ours for the ratios.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import device  # noqa: E402

MICROPYTHON = Path(sys.executable).parent / "micropython"
STAND_IN = Path(
    os.environ.get("OCPPJ_MICROPYTHON_113")
    or ROOT.parent / "shared" / "tools" / "micropython-1.13-quec" / "micropython"
)
# (interpreter, the bundle it loads) pairs measured, by name
INTERPRETERS = {"1.29": MICROPYTHON, "1.13": STAND_IN}
BUNDLES_OF = {"1.29": ("py", "mpy-v6"), "1.13": ("py", "mpy-v5")}

# The incumbent port, as measured in the issue (bytes).
PORT = {
    "schemas": 109 * 1024,  # enums 52 KB + payload classes 52 KB + validation 5 KB
    "import": 132 * 1024,  # everything the port imports
    "alloc_ratio": 45,  # bytes allocated per byte of JSON to encode or decode
}

PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
    "Security",
)

_IMPORT_STEPS = {
    "core": "from usr.ocpp16 import protocol\nprotocol.tables('Core')\n",
    "all": "from usr.ocpp16 import protocol\nfor p in protocol.PROFILES:\n    protocol.tables(p)\n",
    "runtime": "from usr.ocppj import session, routing, charge_point\n",
    "enums": "from usr.ocpp16 import enums\n",
    "handlers": "from usr.ocpp16 import handlers\n",
}

# The runtime modules a device imports, each after those it needs.
RUNTIME_MODULES = (
    "errors",
    "events",
    "validation",
    "jsontext",
    "framing",
    "session",
    "routing",
    "charge_point",
    "device",
)

MODULES_PROBE = """
import gc
import micropython
import usr
def free():
    gc.collect()
    gc.collect()
    return gc.mem_free()
from usr.ocpp16 import protocol
protocol.tables("Core")
for name in %(names)r:
    micropython.qstr_info()
    start = free()
    __import__("usr.ocppj." + name)
    print("MODULE", name, start - free())
micropython.qstr_info()
"""

# A device ChargePoint boots (its BootNotification answered) and serves a
# Reset CALL: what one session holds on top of the Core profile, runtime
# code included.
SESSION_PROBE = r"""
import gc
import usr
def free():
    gc.collect()
    gc.collect()
    return gc.mem_free()
from usr.ocpp16 import protocol
protocol.tables("Core")
start = free()
from usr.ocppj.device import ChargePoint
from usr.ocppj.routing import on
class Wire:
    def __init__(self):
        self.sent = []
    def send(self, text):
        self.sent.append(text)
class Device(ChargePoint):
    @on("Reset")
    def on_reset(self, type, **kwargs):
        return self._call_result.ResetPayload(status="Accepted")
wire = Wire()
cp = Device("CP-1", wire, protocol=protocol)
boot = cp._call.BootNotificationPayload(charge_point_vendor="V", charge_point_model="M")
call_id = cp._submit_call(boot)
answer = '{"status":"Accepted","currentTime":"2024-01-01T00:00:00Z","interval":300}'
cp.route_message('[3,"%s",%s]' % (call_id, answer))
assert cp.outcome(cp.take_outcome(call_id)).status == "Accepted"
cp.route_message('[2,"r1","Reset",{"type":"Soft"}]')
assert len(wire.sent) == 2
wire.sent = []
import sys
print("LOADED", sorted(k for k in sys.modules if k.startswith("usr.ocppj.")))
print("SESSION", start - free())
"""

IMPORT_PROBE = """
import gc
import usr
def free():
    gc.collect()
    gc.collect()
    return gc.mem_free()
%(before)s
start = free()
%(step)s
print("RETAINED", start - free())
"""

MESSAGES_PROBE = r"""
import gc
try:
    import ujson as json
except ImportError:
    import json
try:
    import utime as time
except ImportError:
    import time
from usr.ocpp16 import protocol, call

def build_boot():
    return call.BootNotificationPayload(
        charge_point_vendor="Quectel", charge_point_model="EC200U-CP",
        charge_point_serial_number="CP-000123456", charge_box_serial_number="CB-000123456",
        firmware_version="1.4.2", iccid="89860012345678901234", imsi="460001234567890",
        meter_type="DDS6619", meter_serial_number="MTR-000042")


def build_meter_values():
    sampled = []
    for i in range(10):
        sampled.append({
            "value": "%d.5" % (1000 + i), "context": "Sample.Periodic", "format": "Raw",
            "measurand": "Energy.Active.Import.Register", "phase": "L1-N",
            "location": "Outlet", "unit": "Wh"})
    return call.MeterValuesPayload(connector_id=1, transaction_id=42, meter_value=[
        {"timestamp": "2024-05-01T12:00:00Z", "sampled_value": sampled}])


def build_encode(build):
    return json.dumps(protocol.encode(build()))


def decode_validate(action, text):
    payload = json.loads(text)
    protocol.validate_request(action, payload)
    return protocol.decode_request(action, payload)


def allocated(fn, a, b):
    fn(a, b)  # first use makes the payload classes
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    fn(a, b)
    grown = gc.mem_alloc() - before
    gc.enable()
    return grown


def micros(fn, a, b, n):
    gc.collect()
    start = time.ticks_us()
    for _ in range(n):
        fn(a, b)
    return time.ticks_diff(time.ticks_us(), start) / n


def encode_step(build, _):
    return build_encode(build)


for action, build in (("BootNotification", build_boot), ("MeterValues", build_meter_values)):
    text = build_encode(build)
    assert protocol.encode(decode_validate(action, text)) == json.loads(text)
    print("MESSAGE", json.dumps([
        action, len(text),
        allocated(encode_step, build, None), micros(encode_step, build, None, REPEAT),
        allocated(decode_validate, action, text), micros(decode_validate, action, text, REPEAT),
    ]))
"""


# MicroPython puts the script's absolute directory first on sys.path, which
# would make every module's interned file name as long as the temporary
# folder's path.
_RELATIVE_IMPORTS = 'import sys\nsys.path[0] = ""\n'


def run_micropython(bundle, source, heap=None, interpreter=MICROPYTHON):
    """Runs `source` with `bundle` (a folder holding usr/) as the working
    directory, importing from it by relative paths."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", dir=str(bundle), delete=False) as handle:
        handle.write(_RELATIVE_IMPORTS + source)
        script = handle.name
    try:
        command = (
            [str(interpreter)]
            + (["-X", "heapsize=%d" % heap] if heap else [])
            + [os.path.basename(script)]
        )
        return subprocess.run(command, cwd=str(bundle), capture_output=True, text=True, timeout=300)
    finally:
        os.unlink(script)


def retained(bundle, step, before="", interpreter=MICROPYTHON):
    """Heap retained by one import step (after `before` ran), in bytes."""
    source = IMPORT_PROBE % {
        "before": _IMPORT_STEPS[before] if before else "",
        "step": _IMPORT_STEPS[step],
    }
    completed = run_micropython(bundle, source, interpreter=interpreter)
    for line in completed.stdout.splitlines():
        if line.startswith("RETAINED "):
            return int(line.split()[1])
    raise RuntimeError("probe failed: %s" % (completed.stderr or completed.stdout)[-2000:])


def runtime_modules(bundle, names=RUNTIME_MODULES, before=(), interpreter=MICROPYTHON):
    """[(module, heap retained, of which qstr pools and text)] importing
    `names` one by one on top of the Core profile (and of `before`)."""
    completed = run_micropython(
        bundle, MODULES_PROBE % {"names": tuple(before) + tuple(names)}, interpreter=interpreter
    )
    rows = []
    qstr_totals = []
    for line in completed.stdout.splitlines():
        if line.startswith("qstr pool:"):
            qstr_totals.append(int(line.rsplit("n_total_bytes=", 1)[1]))
        elif line.startswith("MODULE "):
            _, name, size = line.split()
            rows.append([name, int(size)])
    if len(rows) != len(before) + len(names) or len(qstr_totals) != len(rows) + 1:
        raise RuntimeError(
            "module probe failed: %s" % (completed.stderr or completed.stdout)[-2000:]
        )
    for index, row in enumerate(rows):
        row.append(qstr_totals[index + 1] - qstr_totals[index])
    return [tuple(row) for row in rows[len(before) :]]


def session(bundle, interpreter=MICROPYTHON):
    """(heap a booted charge point session holds on top of the Core profile,
    the ocppj modules it has loaded)."""
    completed = run_micropython(bundle, SESSION_PROBE, interpreter=interpreter)
    held = loaded = None
    for line in completed.stdout.splitlines():
        if line.startswith("SESSION "):
            held = int(line.split()[1])
        elif line.startswith("LOADED "):
            loaded = [name.strip("[]' ") for name in line[len("LOADED ") :].split(",")]
    if held is None:
        raise RuntimeError(
            "session probe failed: %s" % (completed.stderr or completed.stdout)[-2000:]
        )
    return held, loaded


def smallest_heap(bundle, steps, low=8 * 1024, high=1024 * 1024, interpreter=MICROPYTHON):
    """The smallest -X heapsize (bytes, to 256) at which `steps` import."""
    source = "".join(_IMPORT_STEPS[s] for s in steps) + "print('IMPORTED')\n"

    def fits(heap):
        return "IMPORTED" in run_micropython(bundle, source, heap, interpreter).stdout

    if not fits(high):
        raise RuntimeError("does not import even with %d bytes" % high)
    while high - low > 256:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return high


def messages(bundle, n=200):
    completed = run_micropython(bundle, "REPEAT = %d\n" % n + MESSAGES_PROBE)
    rows = [
        json.loads(line[len("MESSAGE ") :])
        for line in completed.stdout.splitlines()
        if line.startswith("MESSAGE ")
    ]
    if len(rows) != 2:
        raise RuntimeError(
            "message probe failed: %s" % (completed.stderr or completed.stdout)[-2000:]
        )
    return rows


# What one piece of code costs once imported (.mpy v6), so a heap budget can
# be read as "so many functions, classes and names". Each snippet module has
# UNIT_COUNT of one construct, all with names of their own; it is imported in
# a fresh interpreter after the Core profile and the runtime core, whose qstr
# pools still have room for its names, so no pool step lands in a figure.
UNIT_COUNT = 40
UNIT_SNIPPETS = (
    (
        "module-level function (def f(a): return a)",
        "".join("def uf%d(a):\n    return a\n" % i for i in range(UNIT_COUNT)),
    ),
    (
        "method in a class",
        "class UK:\n"
        + "".join("    def um%d(self, a):\n        return a\n" % i for i in range(UNIT_COUNT)),
    ),
    ("empty class", "".join("class UC%d:\n    pass\n" % i for i in range(UNIT_COUNT))),
    (
        "interned name, pool slot already allocated",
        "def ua(a):\n" + "".join("    a.ux%d\n" % i for i in range(UNIT_COUNT)),
    ),
)
# The same function reading one attribute UNIT_COUNT times: the baseline the
# interned-name figure is taken against.
UNIT_BASELINE = "def ua(a):\n" + "    a.ux\n" * UNIT_COUNT


def unit_costs(bundle):
    """[(construct, heap bytes per unit)] measured on `bundle` (.mpy v6)."""
    compiler = device.BIN / "mpy-cross"
    results = []
    baseline = None
    probe = IMPORT_PROBE % {
        "before": _IMPORT_STEPS["core"] + _IMPORT_STEPS["runtime"],
        "step": "import usr.unitcost\n",
    }
    for label, snippet_source in ((None, UNIT_BASELINE),) + UNIT_SNIPPETS:
        snippet = Path(bundle) / "usr" / "unitcost.py"
        snippet.write_text(snippet_source)
        try:
            subprocess.run(
                [
                    str(compiler),
                    "-O3",
                    "-s",
                    "unitcost.py",
                    "-o",
                    str(snippet.with_suffix(".mpy")),
                    str(snippet),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            snippet.unlink()
        completed = run_micropython(bundle, probe)
        snippet.with_suffix(".mpy").unlink()
        size = None
        for line in completed.stdout.splitlines():
            if line.startswith("RETAINED "):
                size = int(line.split()[1])
        if size is None:
            raise RuntimeError(
                "unit probe failed: %s" % (completed.stderr or completed.stdout)[-2000:]
            )
        if label is None:
            baseline = size
        elif label.startswith("interned name"):
            results.append((label, (size - baseline) / float(UNIT_COUNT)))
        else:
            results.append((label, size / float(UNIT_COUNT)))
    return results


def build_bundles(out):
    written = device.build(out)
    sizes = {}
    for folder in ("mpy-v6", "mpy-v5", "py"):
        for package in ("ocpp16", "ocppj"):
            sizes[(folder, package)] = sum(
                p.stat().st_size for p in written[folder] if p.parent.name == package
            )
    bundles = {"py": Path(out), "mpy-v6": Path(out) / "mpy-v6", "mpy-v5": Path(out) / "mpy-v5"}
    return bundles, sizes


def measured_pairs(bundles):
    """[(label, interpreter, bundle)] for every interpreter present: 1.29
    with .py and .mpy v6, the 1.13 stand-in with .py and .mpy v5."""
    pairs = []
    for version, interpreter in INTERPRETERS.items():
        if not interpreter.exists():
            continue
        for name in BUNDLES_OF[version]:
            pairs.append(("%s %s" % (version, name), interpreter, bundles[name]))
    return pairs


def _table(headers, rows):
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _kb(n):
    return "%.1f KB" % (n / 1024.0)


def run():
    if not MICROPYTHON.exists():
        raise SystemExit("no MicroPython at %s: run `make setup`" % MICROPYTHON)
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        bundles, sizes = build_bundles(tmp)
        pairs = measured_pairs(bundles)
        if not STAND_IN.exists():
            print("MicroPython 1.13 stand-in not found at %s: 1.29 figures only" % STAND_IN)
        rows = []
        for name, interpreter, bundle in pairs:
            core = retained(bundle, "core", interpreter=interpreter)
            every = retained(bundle, "all", interpreter=interpreter)
            runtime = retained(bundle, "runtime", before="core", interpreter=interpreter)
            enums = retained(bundle, "enums", before="core", interpreter=interpreter)
            handlers = retained(bundle, "handlers", before="core", interpreter=interpreter)
            figures[name] = {
                "core": core,
                "all": every,
                "runtime_adds": runtime,
                "enums_adds": enums,
                "handlers_adds": handlers,
            }
            rows.append(
                [
                    name,
                    _kb(core),
                    _kb(every),
                    "%.2f" % (every / float(PORT["schemas"])),
                    _kb(runtime),
                    _kb(enums),
                    _kb(handlers),
                ]
            )
        print("Heap retained after import (MicroPython unix: 1.29 64-bit, 1.13 stand-in 32-bit)")
        print(
            _table(
                [
                    "interpreter, bundle",
                    "Core profile",
                    "all 39 actions",
                    "all / port",
                    "+ runtime core",
                    "+ enums",
                    "+ handlers",
                ],
                rows,
            )
        )
        print(
            "  port (issue figures): schemas %s, whole import %s"
            % (_kb(PORT["schemas"]), _kb(PORT["import"]))
        )
        print()
        figures["runtime_modules"] = {}
        per_pair = {}
        for name, interpreter, bundle in pairs:
            per_pair[name] = runtime_modules(bundle, interpreter=interpreter)
        rows = []
        for index, module in enumerate(RUNTIME_MODULES):
            row = [module]
            for name, _, _ in pairs:
                _, size, qstrs = per_pair[name][index]
                figures["runtime_modules"]["%s/%s" % (name, module)] = {
                    "retained": size,
                    "qstr": qstrs,
                }
                row += [size, qstrs]
            rows.append(row)
        print(
            "Runtime module by module, on top of the Core profile (bytes; qstr: of which interned"
        )
        print("names and qstr pool growth, counted where a pool fills up)")
        headers = ["module"]
        for name, _, _ in pairs:
            headers += [name, "qstr"]
        print(_table(headers, rows))
        rows = []
        figures["session"] = {}
        for name, interpreter, bundle in pairs:
            held, loaded = session(bundle, interpreter=interpreter)
            figures["session"][name] = {"held": held, "loaded": loaded}
            rows.append([name, _kb(held), " ".join(module.split(".")[-1] for module in loaded)])
        print("One device session on top of the Core profile:")
        print("runtime imported, booted, one CALL served")
        print(_table(["interpreter, bundle", "heap held", "ocppj modules loaded"], rows))
        print()
        print(".mpy bytes per bytecode generation")
        print(
            _table(
                ["generation", "ocpp16", "ocppj"],
                [
                    [
                        "v6 (MicroPython 1.22+)",
                        sizes[("mpy-v6", "ocpp16")],
                        sizes[("mpy-v6", "ocppj")],
                    ],
                    [
                        "v5 -mno-unicode (QuecPython 1.13)",
                        sizes[("mpy-v5", "ocpp16")],
                        sizes[("mpy-v5", "ocppj")],
                    ],
                    ["source .py", sizes[("py", "ocpp16")], sizes[("py", "ocppj")]],
                ],
            )
        )
        figures["mpy_bytes"] = {"%s/%s" % key: value for key, value in sizes.items()}
        print()
        rows = []
        figures["min_heap"] = {}
        for name, interpreter, bundle in pairs:
            for label, steps in (
                ("Core profile", ("core",)),
                ("all actions + runtime core", ("all", "runtime")),
            ):
                smallest = smallest_heap(bundle, steps, interpreter=interpreter)
                figures["min_heap"]["%s: %s" % (name, label)] = smallest
                rows.append([name, label, _kb(smallest)])
        print("Smallest -X heapsize at which the import succeeds")
        print(_table(["interpreter, bundle", "import", "heapsize"], rows))
        print()
        rows = []
        figures["messages"] = []
        for action, length, enc_bytes, enc_us, dec_bytes, dec_us in messages(bundles["mpy-v6"]):
            figures["messages"].append(
                {
                    "action": action,
                    "json_length": length,
                    "build_encode_bytes": enc_bytes,
                    "build_encode_us": enc_us,
                    "decode_validate_bytes": dec_bytes,
                    "decode_validate_us": dec_us,
                }
            )
            rows.append(
                [
                    action,
                    length,
                    enc_bytes,
                    "%.1fx" % (enc_bytes / float(length)),
                    "%.0f us" % enc_us,
                    dec_bytes,
                    "%.1fx" % (dec_bytes / float(length)),
                    "%.0f us" % dec_us,
                ]
            )
        print(
            "Per message (.mpy v6; JSON text included; port: about %dx the JSON length)"
            % PORT["alloc_ratio"]
        )
        print(
            _table(
                [
                    "message",
                    "JSON bytes",
                    "build+encode B",
                    "ratio",
                    "time",
                    "decode+validate B",
                    "ratio",
                    "time",
                ],
                rows,
            )
        )
        print()
        figures["unit_costs"] = {}
        rows = []
        for label, per_unit in unit_costs(bundles["mpy-v6"]):
            figures["unit_costs"][label] = per_unit
            rows.append([label, "%.0f B" % per_unit])
        print("Heap per construct once imported (.mpy v6, %d of each, names included)" % UNIT_COUNT)
        print(_table(["construct", "heap"], rows))
    _write(figures)
    return figures


def _write(figures):
    try:
        from bench import results
    except ImportError:
        results = None
    if results is not None:
        print("wrote %s" % results.write("micropython_footprint", figures))


if __name__ == "__main__":
    run()
