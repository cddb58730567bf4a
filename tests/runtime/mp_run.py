"""Run the scenario suite without pytest, on MicroPython or CPython.

    .venv/bin/micropython -X heapsize=512K tests/runtime/mp_run.py [--runtime DIR] [substring]
    .venv/bin/python tests/runtime/mp_run.py [--runtime DIR] [substring]

Prints one line per scenario, ``PASS module::name`` or ``FAIL module::name:
<exception>``, then ``TOTAL <n> PASSED <m>``; exits 1 if any failed. The
scenario files are imported unchanged; runtime/ (or DIR, a folder holding
the ocppj package, e.g. as .mpy) and tests/runtime/ go on sys.path the way
the pytest conftest puts them.
"""

import sys

try:
    import os
except ImportError:
    import uos as os

try:
    import gc
except ImportError:
    gc = None


def _dirname(path):
    cut = path.rfind("/")
    if cut < 0:
        return "."
    if cut == 0:
        return "/"
    return path[:cut]


HERE = _dirname(__file__)
SCENARIOS = HERE + "/scenarios"
RUNTIME = _dirname(_dirname(HERE)) + "/runtime"


def _listdir(path):
    # MicroPython 1.13's os has ilistdir only
    if hasattr(os, "listdir"):
        return os.listdir(path)
    return [entry[0] for entry in os.ilistdir(path)]


def _scenario_modules():
    names = []
    for entry in _listdir(SCENARIOS):
        if entry.startswith("test_") and entry.endswith(".py"):
            names.append(entry[:-3])
    names.sort()
    return names


def _describe(exc):
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    return "%s: %s" % (type(exc).__name__, text)


def main(argv):
    arguments = argv[1:]
    runtime = RUNTIME
    if arguments[:1] == ["--runtime"]:
        runtime = arguments[1]
        arguments = arguments[2:]
    for path in (runtime, HERE, SCENARIOS):
        if path not in sys.path:
            sys.path.insert(0, path)
    wanted = arguments[0] if arguments else ""
    total = 0
    passed = 0
    for module_name in _scenario_modules():
        try:
            module = __import__(module_name)
        except Exception as exc:
            total += 1
            print("FAIL %s::<import>: %s" % (module_name, _describe(exc)))
            continue
        for name in sorted(dir(module)):
            if not name.startswith("test_"):
                continue
            test = getattr(module, name)
            if not callable(test):
                continue
            label = "%s::%s" % (module_name, name)
            if wanted and wanted not in label:
                continue
            total += 1
            try:
                test()
            except Exception as exc:
                print("FAIL %s: %s" % (label, _describe(exc)))
            else:
                passed += 1
                print("PASS %s" % label)
            if gc is not None:
                gc.collect()
    print("TOTAL %d PASSED %d" % (total, passed))
    return 0 if total and passed == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
