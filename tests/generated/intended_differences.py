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

import math
from dataclasses import dataclass
from decimal import Decimal
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


def _decimal_multiple(error):
    """A jsonschema multipleOf error on a number whose decimal form is an exact multiple."""
    if error.validator != "multipleOf":
        return False
    value = error.instance
    if type(value) not in (int, float) or not math.isfinite(value):
        return False
    return Decimal(repr(value)) % Decimal(repr(error.validator_value)) == 0


def _uri_not_checked_by_jsonschema(error, payload):
    return error.rule == "format uri" and "uri" not in jsonschema.FormatChecker().checkers


def _date_time_with_trailing_newline(error, payload):
    if error.rule != "format date-time":
        return False
    value = get_at(payload, parse_path(error.path))
    return value.endswith("\n") and validate_rfc3339(value[:-1].upper())


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
            "multiples within float rounding, as a charge point writing 7.1 A means."
        ),
        action="SetChargingProfile",
        direction="request",
        payload=_charging_limit(7.1),
        ours_accepts=True,
        excuses_reference=_decimal_multiple,
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
