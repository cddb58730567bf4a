"""Regression tests for generator bugs the differential runs found (now fixed).

multipleOf used a tolerance far wider than float rounding, and divided huge
integers by a float step (OverflowError). These are not intended
differences; see intended_differences.py for those.
"""

import copy

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from budget import examples
from intended_differences import DIFFERENCES, within_float_rounding_of_a_multiple
from ocpp16 import protocol
from wire_schemas import reference_for

LIMIT_EXAMPLE = next(d.payload for d in DIFFERENCES if d.name == "multipleOf with a decimal step")


def with_limit(limit):
    payload = copy.deepcopy(LIMIT_EXAMPLE)
    payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = limit
    return payload


# k/10 plus a stray digit j at decimal place p: 16.00000001, 50000000.05, ...
stray_digits = st.builds(
    lambda k, j, p: round(k / 10 + j / 10**p, p),
    st.integers(-(10**12), 10**12),
    st.integers(1, 9),
    st.integers(2, 12),
)


@settings(max_examples=examples())
@example(value=16.00000001)
@example(value=50000000.05)
@given(value=st.one_of(stray_digits, st.floats(min_value=-1e300, max_value=1e300)))
def test_numbers_that_are_not_multiples_of_a_tenth_are_refused(value):
    if within_float_rounding_of_a_multiple(value, 0.1):
        return
    payload = with_limit(value)
    assert not reference_for("SetChargingProfile", "request").is_valid(payload)
    try:
        protocol.validate_request("SetChargingProfile", payload)
    except protocol.ValidationError as error:
        assert (error.code, error.rule) == ("PropertyConstraintViolation", "multipleOf 0.1")
    else:
        raise AssertionError("%r was accepted as a multiple of 0.1" % value)


@pytest.mark.parametrize("limit", [10**309, -(10**400)], ids=["1e309", "-1e400"])
def test_a_huge_integer_limit_gets_an_answer_not_an_exception(limit):
    try:
        protocol.validate_request("SetChargingProfile", with_limit(limit))
    except protocol.ValidationError:
        pass
