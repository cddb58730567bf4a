"""The one-pass readers (readers.py, protocol.read_request/read_response)
against the validator followed by the decoder, which they stand in for.

Where a reader returns an object, the validator must pass the payload and
the decoder must give an equal object, attributes set in the same order
(handler keyword arguments follow that order). Where it returns None, the
caller runs validator and decoder, so None is always correct; but a valid
payload in plain form (no nulls, no integral floats) must be read in one
pass, or the readers would be dead weight.
"""

import dataclasses
import json

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp16 import protocol, readers
from payload_mutations import every_fixed_mutation, mutations
from payload_strategies import full_payload, payloads
from wire_schemas import MESSAGES, message_schema

MESSAGE_IDS = ["%s-%s" % message for message in MESSAGES]


def read(action, direction, payload):
    if direction == "request":
        return protocol.read_request(action, payload)
    return protocol.read_response(action, payload)


def reference(action, direction, payload):
    """(passes validation, decoded object or None)."""
    validate, decode = protocol.validate_request, protocol.decode_request
    if direction == "response":
        validate, decode = protocol.validate_response, protocol.decode_response
    try:
        validate(action, payload)
    except protocol.ValidationError:
        return False, None
    return True, decode(action, payload)


def state(value):
    """An object tree as nested (type, [(attribute, state), ...]) in attribute order."""
    if isinstance(value, list):
        return [state(item) for item in value]
    if dataclasses.is_dataclass(value):
        return (type(value), [(name, state(item)) for name, item in vars(value).items()])
    return (type(value), value)


def plain(value):
    """No null and no float anywhere: the form most peers send."""
    if value is None or type(value) is float:
        return False
    if type(value) is dict:
        return all(plain(v) for v in value.values())
    if type(value) is list:
        return all(plain(v) for v in value)
    return True


def check(action, direction, payload):
    # as a peer would send it: through JSON text and back
    payload = json.loads(json.dumps(payload))
    got = read(action, direction, payload)
    valid, expected = reference(action, direction, payload)
    if got is None:
        assert not (valid and plain(payload)), "a valid plain payload was not read in one pass"
        return
    assert valid, "read a payload the validator refuses"
    assert state(got) == state(expected)


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
@settings(max_examples=examples())
@given(data=st.data())
def test_reader_equals_validate_then_decode_on_valid_payloads(action, direction, data):
    check(action, direction, data.draw(payloads(action, direction), label="payload"))


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
@settings(max_examples=examples())
@given(data=st.data())
def test_reader_never_vouches_for_a_one_fault_payload(action, direction, data):
    root = message_schema(action, direction)
    mutation = data.draw(mutations(root, payloads(action, direction)), label="mutation")
    assert read(action, direction, mutation.payload) is None
    check(action, direction, mutation.payload)


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
def test_reader_on_every_fault_kind_at_every_site_of_a_full_payload(action, direction):
    root = message_schema(action, direction)
    payload = full_payload(root)
    assert read(action, direction, payload) is not None
    check(action, direction, payload)
    for mutation in every_fixed_mutation(root, payload):
        assert read(action, direction, mutation.payload) is None, mutation.kind


@pytest.mark.parametrize(
    "payload",
    [
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "info": None},
        {"connectorId": 1.0, "errorCode": "NoError", "status": "Available"},
        {"connectorId": True, "errorCode": "NoError", "status": "Available"},
        {"connectorId": 1, "errorCode": ["NoError"], "status": "Available"},
        {"connectorId": 1, "errorCode": {"a": 1}, "status": "Available"},
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "extra": 1},
        {"connectorId": 1, "errorCode": "NoError"},
        [],
        None,
    ],
    ids=[
        "null-optional",
        "integral-float",
        "bool",
        "list-enum",
        "object-enum",
        "extra-key",
        "missing",
        "array",
        "null",
    ],
)
def test_rare_and_broken_forms_are_left_to_the_validator(payload):
    assert protocol.read_request("StatusNotification", payload) is None
    check("StatusNotification", "request", payload)


def test_readers_are_what_the_protocol_uses():
    assert set(readers.REQUEST_READERS) == set(protocol.ACTIONS)
    assert set(readers.RESPONSE_READERS) == set(protocol.ACTIONS)
    with pytest.raises(KeyError):
        protocol.read_request("NoSuchAction", {})


def test_each_enum_member_map_holds_exactly_the_validators_value_set():
    # A reader checks an enumeration by its conversion (a subscript of the
    # member map, generator/rules.py: refusals); the validator by its value
    # set. Both come from one list of values; this holds them to it.
    from ocpp16 import codec, validators

    names = [name[len("ENUM_") :] for name in vars(validators) if name.startswith("ENUM_")]
    assert names
    for name in names:
        assert set(getattr(codec, "E_" + name)) == getattr(validators, "ENUM_" + name), name
        assert getattr(readers, "E_" + name) is getattr(codec, "E_" + name), name
