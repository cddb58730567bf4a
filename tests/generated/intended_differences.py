"""Every intended difference between the generated validators and jsonschema 4.26.0.

This is the one place that lists them. The differential tests accept a
disagreement only when one entry here explains it, and
test_intended_differences.py replays each entry's example against both
validators, so an entry that stops being true (a jsonschema upgrade, a
generator change) fails instead of lingering.

Each entry has a sentence of why, an example message on which the two
verdicts differ, and the predicate the differential tests use to excuse it:
`excuses_reference(error)` for a jsonschema error ours deliberately does not
raise, `excuses_ours(error, payload)` for one of ours that jsonschema does
not raise.

Things that look like differences but are not (draft-06 integers, the
errata overlay) are in AGREEMENTS at the bottom, with what is checked.
"""

import collections
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any, Callable, Optional

import jsonschema
from rfc3339_validator import validate_rfc3339

from wire_schemas import get_at, parse_path


def _never(*args):
    return False


@dataclass(frozen=True)
class Difference:
    name: str
    why: str
    action: str
    direction: str
    payload: Any  # a message on which the verdicts differ
    ours_accepts: bool  # our verdict; jsonschema gives the other one, or raises
    reference_raises: Optional[type] = None  # jsonschema raises this instead of answering
    excuses_reference: Callable[[Any], bool] = _never
    excuses_ours: Callable[[Any, Any], bool] = _never


# How close to an exact multiple a float may be and still count as one: a
# few units in the last place, which is what reading "7.1" into a binary
# float and dividing can cost. Anything further off is not a multiple.
FLOAT_ROUNDING_ULPS = 4


def within_float_rounding_of_a_multiple(value, step):
    """value (a finite int or float) is an exact multiple of the decimal `step`
    as the schema writes it (0.1), or a few float ulps away from one."""
    with localcontext() as context:
        context.prec = 1100  # exact for every finite double
        exact = Decimal(value)
        step = Decimal(repr(step))
        nearest = (exact / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step
        slack = 0 if type(value) is int else FLOAT_ROUNDING_ULPS * Decimal(math.ulp(value))
        return abs(exact - nearest) <= slack


def _float_rounding_multiple(error):
    """A jsonschema multipleOf error on a number within float rounding of a multiple."""
    if error.validator != "multipleOf":
        return False
    value = error.instance
    if type(value) not in (int, float) or not math.isfinite(value):
        return False
    return within_float_rounding_of_a_multiple(value, error.validator_value)


def _uri_not_checked_by_jsonschema(error, payload):
    return error.rule == "format uri" and "uri" not in jsonschema.FormatChecker().checkers


def _date_time_with_trailing_newline(error, payload):
    if error.rule != "format date-time":
        return False
    value = get_at(payload, parse_path(error.path))
    stripped = value[:-1]
    return value.endswith("\n") and not stripped.endswith("\n") and validate_rfc3339(stripped.upper())


_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def _subclass_of_a_json_type(error, payload):
    if error.code != "TypeConstraintViolation" or not error.path:
        return False
    value = get_at(payload, parse_path(error.path))
    return type(value) not in _JSON_TYPES and isinstance(value, (dict, list, int))


def _charging_limit(limit):
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


DIFFERENCES = (
    Difference(
        name="multipleOf with a decimal step",
        why=(
            "jsonschema tests `instance / 0.1` for integrality in binary floats, so it rejects "
            "limits such as 0.3 and 7.1 that the peer wrote as exact tenths; ours accepts "
            "numbers within float rounding of a multiple, as a charge point writing 7.1 A means."
        ),
        action="SetChargingProfile",
        direction="request",
        payload=_charging_limit(7.1),
        ours_accepts=True,
        excuses_reference=_float_rounding_multiple,
    ),
    Difference(
        name="format uri",
        why=(
            "jsonschema checks `uri` only when the rfc3987 package is installed, which the "
            "pinned dev requirements do not include; ours always requires a scheme and no "
            "whitespace, so a diagnostics location like 'no-scheme' is refused."
        ),
        action="GetDiagnostics",
        direction="request",
        payload={"location": "no-scheme"},
        ours_accepts=False,
        excuses_ours=_uri_not_checked_by_jsonschema,
    ),
    Difference(
        name="date-time with a trailing newline",
        why=(
            "rfc3339-validator matches with a regex ending in `$`, which also matches just "
            "before a final newline, so '...Z\\n' passes jsonschema; RFC 3339 has no room "
            "for it and ours refuses it."
        ),
        action="Heartbeat",
        direction="response",
        payload={"currentTime": "2024-02-29T12:00:00Z\n"},
        ours_accepts=False,
        excuses_ours=_date_time_with_trailing_newline,
    ),
    Difference(
        name="non-finite number under multipleOf",
        why=(
            "Python's json module turns NaN and Infinity into floats; jsonschema's multipleOf "
            "then raises ValueError (NaN) or OverflowError (Infinity) instead of answering, "
            "while ours rejects the value with PropertyConstraintViolation."
        ),
        action="SetChargingProfile",
        direction="request",
        payload=_charging_limit(float("nan")),
        ours_accepts=False,
        reference_raises=ValueError,
    ),
    Difference(
        name="Python subclasses of JSON types",
        why=(
            "The interface takes what json.loads gives (docs/architecture.md), so ours checks "
            "exact types (`type(v) is dict`, as MicroPython also runs); jsonschema uses "
            "isinstance and accepts an OrderedDict object or an IntEnum integer."
        ),
        action="Authorize",
        direction="response",
        payload={"idTagInfo": collections.OrderedDict(status="Accepted")},
        ours_accepts=False,
        excuses_ours=_subclass_of_a_json_type,
    ),
)


@dataclass(frozen=True)
class Agreement:
    name: str
    why: str


AGREEMENTS = (
    Agreement(
        name="integral floats in draft-06 schemas",
        why=(
            "The Security whitepaper schemas are draft-06, where 1.0 is an integer; the 1.6 "
            "core schemas are draft-04, where it is not. Ours follows each file's draft, so "
            "both validators accept 1.0 in the first and refuse it in the second."
        ),
    ),
    Agreement(
        name="errata overlay",
        why=(
            "Both validators read the schemas after schemas/errata.json is applied, so the "
            "overlay causes no difference; against the wheel's unpatched StopTransaction.json "
            "ours differs exactly on the unit 'Hertz' in transactionData."
        ),
    ),
)


def unexplained_reference_errors(errors):
    """The jsonschema errors no intended difference explains."""
    return [e for e in errors if not any(d.excuses_reference(e) for d in DIFFERENCES)]


def explained_ours(error, payload):
    """True when an intended difference explains our error."""
    return error is not None and any(d.excuses_ours(error, payload) for d in DIFFERENCES)
