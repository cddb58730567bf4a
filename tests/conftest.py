"""Hypothesis profiles for the whole suite.

`ci` (the default) is derandomized: the same examples on every run and
machine, so a red CI build can be reproduced locally, and no example
database is written. `long` (HYPOTHESIS_PROFILE=long, see `make test-long`)
draws fresh examples, 1000 per property and more where a test asks for a
multiple, and is run by hand.

Tests that need a different budget scale from the profile's max_examples
(see tests/generated/budget.py) instead of hard-coding a count, so `long`
raises every property together.
"""

import os
import sys
import types

from hypothesis import HealthCheck, settings

# gmqtt's wheel (the gateway's MQTT client) installs a top-level package
# named "tests", which would shadow this folder (a namespace package) in
# `from tests.micropython.support import ...`: bind the name here first.
_TESTS = os.path.dirname(os.path.abspath(__file__))
if getattr(sys.modules.get("tests"), "__path__", None) != [_TESTS]:
    _package = types.ModuleType("tests")
    _package.__path__ = [_TESTS]
    sys.modules["tests"] = _package

# Payload strategies build nested objects with long strings; generation can
# legitimately be slower than Hypothesis's default expectations.
_SLOW_GENERATION = (HealthCheck.too_slow, HealthCheck.data_too_large)

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=_SLOW_GENERATION,
)

settings.register_profile(
    "long",
    deadline=None,
    max_examples=1000,
    print_blob=True,
    suppress_health_check=_SLOW_GENERATION,
)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
