"""The MicroPython flavour (generated/micropython/ocpp16) imported on CPython.

The flavour is written in the subset both interpreters run, so CPython can
hold it to the same checks as the CPython flavour. It is imported under
another package name (its modules only import each other relatively), so
it lives beside the CPython flavour's `ocpp16` in one process.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "generated" / "micropython" / "ocpp16"
NAME = "ocpp16_micropython"


def package():
    if NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            NAME, PACKAGE_DIR / "__init__.py", submodule_search_locations=[str(PACKAGE_DIR)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[NAME]


def module(name):
    """A module of the flavour, e.g. module("protocol")."""
    package()
    return importlib.import_module(NAME + "." + name)
