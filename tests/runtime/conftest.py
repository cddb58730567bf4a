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
