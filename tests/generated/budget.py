"""Example counts derived from the active Hypothesis profile (tests/conftest.py).

A property that needs more examples than the profile's default asks for a
multiple of it, so HYPOTHESIS_PROFILE=long raises every count together.
"""

from hypothesis import settings


def examples(factor=1.0):
    return max(1, int(settings.default.max_examples * factor))
