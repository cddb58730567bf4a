"""Each entry of intended_differences.py still holds, and its predicate is no wider than it says.

If jsonschema or the generator changes so that an entry no longer shows a
difference, these tests fail and the entry must go.
"""

import copy
import enum

import jsonschema
import pytest

from intended_differences import (
    AGREEMENTS,
    DIFFERENCES,
    explained_ours,
    unexplained_reference_errors,
)
from ocpp16 import protocol
from payload_mutations import BAD_DATE_TIMES, BAD_URIS, TYPE, sites
from payload_strategies import full_payload
from wire_schemas import (
    MESSAGES,
    PATCHED,
    format_path,
    is_draft06,
    message_schema,
    reference_for,
    reference_validator,
    unpatched_schema,
)


def our_error(action, direction, payload):
    validate = protocol.validate_request if direction == "request" else protocol.validate_response
    try:
        validate(action, payload)
    except protocol.ValidationError as error:
        return error
    return None


def reference_errors(action, direction, payload):
    return list(reference_for(action, direction).iter_errors(payload))


def with_value(payload, parts, value):
    changed = copy.deepcopy(payload)
    target = changed
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return changed


# -- every listed difference is real, and excused by its own predicate --------


@pytest.mark.parametrize("difference", DIFFERENCES, ids=[d.name for d in DIFFERENCES])
def test_the_listed_example_shows_the_difference(difference):
    action, direction, payload = difference.action, difference.direction, difference.payload
    error = our_error(action, direction, payload)
    assert (error is None) is difference.ours_accepts, str(error)
    if difference.reference_raises:
        with pytest.raises(difference.reference_raises):
            reference_errors(action, direction, payload)
        return
    theirs = reference_errors(action, direction, payload)
    assert bool(theirs) is difference.ours_accepts, "jsonschema gives the same verdict: no difference"
    if difference.ours_accepts:
        assert all(difference.excuses_reference(e) for e in theirs)
    else:
        assert difference.excuses_ours(error, payload)


@pytest.mark.parametrize("difference", DIFFERENCES, ids=[d.name for d in DIFFERENCES])
def test_each_difference_has_a_reason(difference):
    assert len(difference.why.split()) >= 12


def test_agreements_have_a_reason():
    assert [a.name for a in AGREEMENTS] == ["integral floats in draft-06 schemas", "errata overlay"]
    assert all(len(a.why.split()) >= 12 for a in AGREEMENTS)


# -- (a) multipleOf 0.1 --------------------------------------------------------


def set_limit(limit):
    example = next(d for d in DIFFERENCES if d.name == "multipleOf with a decimal step")
    payload = copy.deepcopy(example.payload)
    payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = limit
    return payload


def test_jsonschema_refuses_tenths_that_ours_accepts():
    tenths = [round(k * 0.1, 1) for k in range(-3000, 3000)]
    refused_by_jsonschema = []
    for limit in tenths:
        payload = set_limit(limit)
        assert our_error("SetChargingProfile", "request", payload) is None, limit
        theirs = reference_errors("SetChargingProfile", "request", payload)
        if theirs:
            refused_by_jsonschema.append(limit)
            assert [e.validator for e in theirs] == ["multipleOf"]
            assert unexplained_reference_errors(theirs) == []
    assert 0.3 in refused_by_jsonschema and 7.1 in refused_by_jsonschema
    # Most tenths are fine for both; the difference is a float artefact, not a rule.
    assert 0 < len(refused_by_jsonschema) < len(tenths) / 2


@pytest.mark.parametrize("limit", [0.35, 7.15, 0.01, -2.55, 1234.56])
def test_the_multiple_of_excuse_does_not_cover_real_non_multiples(limit):
    payload = set_limit(limit)
    error = our_error("SetChargingProfile", "request", payload)
    assert (error.code, error.rule) == ("PropertyConstraintViolation", "multipleOf 0.1")
    theirs = reference_errors("SetChargingProfile", "request", payload)
    assert [e.validator for e in unexplained_reference_errors(theirs)] == ["multipleOf"]


# -- (b) format uri --------------------------------------------------------------


@pytest.mark.parametrize("action", ["GetDiagnostics", "UpdateFirmware"])
@pytest.mark.parametrize("location", BAD_URIS)
def test_only_ours_checks_uris(action, location):
    payload = full_payload(message_schema(action, "request"))
    payload["location"] = location
    assert "uri" not in jsonschema.FormatChecker().checkers
    assert reference_errors(action, "request", payload) == []
    error = our_error(action, "request", payload)
    assert (error.code, error.path, error.rule) == ("PropertyConstraintViolation", "location", "format uri")
    assert explained_ours(error, payload)


# -- (c) date-time with a trailing newline -------------------------------------


@pytest.mark.parametrize(
    "stamp", ["2024-02-29T12:00:00Z", "1999-12-31T23:59:59.999+01:00", "2021-06-01t08:00:00z"]
)
def test_jsonschema_accepts_a_trailing_newline_ours_does_not(stamp):
    good = {"currentTime": stamp}
    assert our_error("Heartbeat", "response", good) is None
    assert reference_errors("Heartbeat", "response", good) == []
    bad = {"currentTime": stamp + "\n"}
    assert reference_errors("Heartbeat", "response", bad) == []
    error = our_error("Heartbeat", "response", bad)
    assert (error.code, error.path, error.rule) == (
        "PropertyConstraintViolation",
        "currentTime",
        "format date-time",
    )
    assert explained_ours(error, bad)


@pytest.mark.parametrize(
    "stamp", ["2024-02-29T12:00:00Z\n\n", "2023-02-29T12:00:00Z\n", "\n2024-02-29T12:00:00Z"]
)
def test_the_newline_excuse_does_not_cover_other_bad_date_times(stamp):
    payload = {"currentTime": stamp}
    assert reference_errors("Heartbeat", "response", payload) != []
    assert not explained_ours(our_error("Heartbeat", "response", payload), payload)


@pytest.mark.parametrize("stamp", [s for s in BAD_DATE_TIMES if not s.endswith("\n")])
def test_both_refuse_the_other_bad_date_times(stamp):
    payload = {"currentTime": stamp}
    assert [e.validator for e in reference_errors("Heartbeat", "response", payload)] == ["format"]
    error = our_error("Heartbeat", "response", payload)
    assert (error.code, error.rule) == ("PropertyConstraintViolation", "format date-time")


# -- non-finite numbers (json.loads turns NaN and Infinity into floats) ----------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_limits_are_refused_by_ours_while_jsonschema_raises(value):
    payload = set_limit(value)
    error = our_error("SetChargingProfile", "request", payload)
    assert (error.code, error.rule) == ("PropertyConstraintViolation", "multipleOf 0.1")
    with pytest.raises((ValueError, OverflowError)):
        reference_errors("SetChargingProfile", "request", payload)


def _integer_sites():
    for action, direction in MESSAGES:
        root = message_schema(action, direction)
        payload = full_payload(root)
        for site in sites(root, payload):
            if site.node.get("type") == "integer":
                yield action, direction, payload, site


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_integers_are_refused_by_both(value):
    checked = 0
    for action, direction, payload, site in _integer_sites():
        bad = with_value(payload, site.parts, value)
        error = our_error(action, direction, bad)
        assert (error.code, error.path) == (TYPE, format_path(site.parts))
        assert reference_errors(action, direction, bad) != []
        checked += 1
    assert checked > 50


# -- Python subclasses of JSON types ----------------------------------------------


class Connector(enum.IntEnum):
    first = 1


def test_subclasses_of_json_types_pass_jsonschema_only():
    payload = {"connectorId": Connector.first, "type": "Operative"}
    assert reference_errors("ChangeAvailability", "request", payload) == []
    error = our_error("ChangeAvailability", "request", payload)
    assert (error.code, error.path) == (TYPE, "connectorId")
    assert explained_ours(error, payload)
    plain = {"connectorId": 1, "type": "Operative"}
    assert our_error("ChangeAvailability", "request", plain) is None


# -- agreement: integral floats follow each file's draft ---------------------------


def test_integral_floats_are_integers_in_draft06_files_only_for_both():
    seen = {True: 0, False: 0}
    for action, direction, payload, site in _integer_sites():
        draft06 = is_draft06(message_schema(action, direction))
        for value in (1.0, -7.0, 1e20):
            changed = with_value(payload, site.parts, value)
            error = our_error(action, direction, changed)
            theirs = reference_errors(action, direction, changed)
            if draft06:
                assert error is None and theirs == [], (action, site.parts)
            else:
                assert (error.code, error.path) == (TYPE, format_path(site.parts))
                assert [e.validator for e in theirs] == ["type"]
        changed = with_value(payload, site.parts, 1.5)
        assert our_error(action, direction, changed).code == TYPE
        assert [e.validator for e in reference_errors(action, direction, changed)] == ["type"]
        seen[draft06] += 1
    assert seen[True] > 5 and seen[False] > 20


# -- agreement: the errata overlay -------------------------------------------------

HERTZ_PARTS = ("transactionData", 0, "sampledValue", 0, "unit")


def test_the_overlay_changes_only_the_stop_transaction_unit_list():
    changed = sorted(name for name, schema in PATCHED.items() if schema != unpatched_schema(name))
    assert changed == ["StopTransaction.json"]
    patched_units = _stop_transaction_units(PATCHED["StopTransaction.json"])
    wheel_units = _stop_transaction_units(unpatched_schema("StopTransaction.json"))
    assert patched_units == wheel_units + ["Hertz"]


def _stop_transaction_units(schema):
    node = schema["properties"]["transactionData"]["items"]["properties"]["sampledValue"]["items"]
    return node["properties"]["unit"]["enum"]


def test_the_differential_tests_use_the_patched_schema():
    assert reference_for("StopTransaction", "request").schema is PATCHED["StopTransaction.json"]


def test_against_the_wheel_schema_ours_differs_exactly_on_hertz():
    wheel = reference_validator(unpatched_schema("StopTransaction.json"))
    patched = reference_for("StopTransaction", "request")
    base = {
        "meterStop": 1200,
        "timestamp": "2024-01-01T10:00:00Z",
        "transactionId": 7,
        "transactionData": [{"timestamp": "2024-01-01T10:00:00Z", "sampledValue": [{"value": "50.0"}]}],
    }
    differing = []
    for unit in _stop_transaction_units(PATCHED["StopTransaction.json"]) + ["Hz", "hertz"]:
        payload = with_value(base, HERTZ_PARTS, unit)
        ours_ok = our_error("StopTransaction", "request", payload) is None
        assert ours_ok is patched.is_valid(payload), unit
        if ours_ok is not wheel.is_valid(payload):
            differing.append(unit)
    assert differing == ["Hertz"]


def test_meter_values_accepts_hertz_in_the_wheel_schema_too():
    payload = {
        "connectorId": 1,
        "meterValue": [
            {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": "50.0", "unit": "Hertz"}]}
        ],
    }
    assert reference_validator(unpatched_schema("MeterValues.json")).is_valid(payload)
    assert our_error("MeterValues", "request", payload) is None
