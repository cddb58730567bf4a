"""The format and number helpers inside the generated validators, case by case.

The date-time check has two implementations: CPython's matches a regular
expression, the MicroPython flavour's (no `re` there) goes digit by digit.
Both are held to every case here.
"""

import math

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from intended_differences import within_float_rounding_of_a_multiple
from micropython_flavour import module as micropython_module
from ocpp16.validators import is_date_time, is_multiple_of, is_uri
from payload_strategies import date_times
from rfc3339_validator import validate_rfc3339

VALID_DATE_TIMES = [
    "2000-02-29T00:00:00Z",  # divisible by 400: leap
    "2024-02-29T12:30:00Z",  # divisible by 4: leap
    "1900-02-28T23:59:59Z",
    "2021-12-31T23:59:59Z",
    "2021-04-30T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999-12:00",
    "2021-01-01T00:00:00.0Z",
    "2021-01-01T00:00:00.123456789012Z",
    "2021-01-01T00:00:00+00:00",
    "2021-01-01T00:00:00-00:00",
    "2021-01-01T00:00:00+23:59",
    "2021-01-01T00:00:00.5+05:30",
    "2021-01-01t00:00:00z",  # RFC 3339 §5.6 allows lower case t and z
    "2021-01-01T00:00:00z",
    "2021-01-01t00:00:00+01:00",
]

INVALID_DATE_TIMES = [
    "1900-02-29T00:00:00Z",  # divisible by 100, not by 400
    "2100-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2021-04-31T00:00:00Z",
    "2021-13-01T00:00:00Z",
    "2021-00-01T00:00:00Z",
    "2021-01-32T00:00:00Z",
    "2021-01-00T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2021-01-01T24:00:00Z",
    "2021-01-01T23:60:00Z",
    "2021-01-01T23:59:60Z",  # leap seconds are refused, as rfc3339-validator does
    "2021-01-01T00:00:00.Z",  # empty fraction
    "2021-01-01T00:00:00,5Z",
    "2021-01-01T00:00:00",  # no offset
    "2021-01-01T00:00:00+01",
    "2021-01-01T00:00:00+0100",
    "2021-01-01T00:00:00+24:00",
    "2021-01-01T00:00:00+01:60",
    "2021-01-01T00:00:00Z ",
    " 2021-01-01T00:00:00Z",
    "2021-01-01T00:00:00Z\n",
    "2021-01-01 00:00:00Z",
    "2021-01-01X00:00:00Z",
    "2021-01-01T00:00Z",
    "21-01-01T00:00:00Z",
    "+2021-01-01T00:00:00Z",
    "2021-1-01T00:00:00Z",
    "２０２１-01-01T00:00:00Z",  # full-width digits
    "٢٠٢١-01-01T00:00:00Z",  # Arabic-Indic digits
    "2021-01-01",
    "2021-01-01T",
    "",
]


DATE_TIME_CHECKS = {
    "cpython": is_date_time,
    "micropython": micropython_module("protocol").is_date_time,
}
FLAVOURS = sorted(DATE_TIME_CHECKS)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("text", VALID_DATE_TIMES)
def test_valid_date_times(flavour, text):
    assert DATE_TIME_CHECKS[flavour](text)
    assert validate_rfc3339(text.upper())  # the reference agrees


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("text", INVALID_DATE_TIMES)
def test_invalid_date_times(flavour, text):
    assert not DATE_TIME_CHECKS[flavour](text)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("year", [1600, 1700, 1800, 1900, 2000, 2004, 2023, 2024, 2100, 2400])
def test_february_29_exists_only_in_leap_years(flavour, year):
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    assert DATE_TIME_CHECKS[flavour]("%04d-02-29T00:00:00Z" % year) is leap


def _edited(text, position, replacement):
    position %= len(text) + 1
    return text[:position] + replacement + text[position + 1 :]


# Valid date-times with one character replaced, inserted or dropped: the
# near misses where a hand-written parser goes wrong.
near_date_times = st.one_of(
    date_times(),
    st.builds(
        _edited,
        date_times(),
        st.integers(0, 40),
        st.sampled_from(list("0123456789TZtz:+-. ") + ["", "00"]),
    ),
    st.text(max_size=30),
)


@settings(max_examples=examples(5))
@given(text=near_date_times)
def test_is_date_time_agrees_with_rfc3339_validator(text):
    portable = DATE_TIME_CHECKS["micropython"](text)
    assert is_date_time(text) is portable
    if text.endswith("\n"):
        return  # the one intended difference, see intended_differences.py
    assert is_date_time(text) is validate_rfc3339(text.upper())


@pytest.mark.parametrize(
    "text",
    [
        "http://example.com",
        "https://a.b/c?d=e#f",
        "urn:isbn:0451450523",
        "a:",
        "x+y-z.1:rest",
        "ftp://[::1]/",
        "mailto:a@b",
    ],
)
def test_valid_uris(text):
    assert is_uri(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ":",
        ":x",
        "1a:x",
        "-a:x",
        "+a:x",
        "no-colon",
        "ht_tp://x",
        "é:x",
        "http://a b",
        "http://a\tb",
        "http://a\x7f",
        "http://a\n",
    ],
)
def test_invalid_uris(text):
    assert not is_uri(text)


@pytest.mark.parametrize(
    "value, step",
    [
        (0.3, 0.1),
        (7.1, 0.1),
        (0.1 + 0.2, 0.1),
        (-2.5, 0.1),
        (0, 0.1),
        (16, 0.1),
        (22000.0, 0.1),
        (10**20, 0.1),
        (10, 2),
        (0, 7),
    ],
)
def test_multiples(value, step):
    assert is_multiple_of(value, step)


@pytest.mark.parametrize(
    "value, step",
    [
        (0.35, 0.1),
        (7.15, 0.1),
        (0.01, 0.1),
        (22000.05, 0.1),
        (-0.05, 0.1),
        (7, 2),
        (float("nan"), 0.1),
        (float("inf"), 0.1),
        (-math.inf, 0.1),
    ],
)
def test_non_multiples(value, step):
    assert not is_multiple_of(value, step)


@settings(max_examples=examples(5))
@given(k=st.integers(-(10**15), 10**15), ulps=st.integers(-2, 2))
def test_tenths_and_their_float_neighbours_are_multiples(k, ulps):
    value = round(k * 0.1, 1)
    for _ in range(abs(ulps)):
        value = math.nextafter(value, math.copysign(math.inf, ulps))
    assert within_float_rounding_of_a_multiple(value, 0.1)
    assert is_multiple_of(value, 0.1)
