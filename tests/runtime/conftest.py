"""Make the runtime and the scenario helpers importable the way the
MicroPython runner does (runtime/ and tests/runtime/ on sys.path), so the
scenarios run unchanged under pytest whether or not the package is
installed."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

for path in (os.path.join(ROOT, "runtime"), HERE):
    if path not in sys.path:
        sys.path.insert(0, path)


def pytest_terminal_summary(terminalreporter, config):
    frames = getattr(config, "ocppj_fuzz_frames", None)
    if frames is not None:
        terminalreporter.write_line(
            "ocppj fuzz: %d frames fed to receive_text without an exception" % frames
        )
