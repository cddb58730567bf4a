"""Wire payload -> typed object -> wire payload, for every message of all 39 actions.

Payloads are drawn from the patched schemas (payload_strategies). Decoding
must give the generated classes all the way down: enum members for enum
fields, datatype instances for nested objects, never a bare dict.
"""

import dataclasses
import enum
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from ocpp16 import call, call_result, datatypes, enums, protocol
from payload_strategies import payloads
from wire_schemas import MESSAGES, message_schema, resolve

MESSAGE_IDS = ["%s-%s" % message for message in MESSAGES]


def decode(action, direction, payload):
    if direction == "request":
        return protocol.decode_request(action, payload)
    return protocol.decode_response(action, payload)


def wire_text(payload):
    """The JSON text a peer would send: tells 1 from 1.0 and True from 1."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


def python_name(wire_name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", wire_name).lower()


def assert_typed(value, wire, root, node, where):
    """value (decoded) mirrors wire with the generated types, as the schema node says."""
    node = resolve(root, node)
    if "enum" in node:
        assert isinstance(value, enum.Enum), "%s: %r is not an enum member" % (where, value)
        assert getattr(enums, type(value).__name__) is type(value), where
        assert value.value == wire, where
    elif node["type"] == "object":
        assert not isinstance(value, dict), "%s: bare dict %r" % (where, value)
        assert dataclasses.is_dataclass(value), "%s: %r is not a dataclass" % (where, value)
        if where != "payload":
            assert getattr(datatypes, type(value).__name__) is type(value), where
        properties = node.get("properties", {})
        assert {f.name for f in dataclasses.fields(value)} == {python_name(n) for n in properties}, where
        for wire_name, child in properties.items():
            field_value = getattr(value, python_name(wire_name))
            if wire_name not in wire:
                assert field_value is None, "%s.%s: absent on the wire but %r" % (
                    where,
                    wire_name,
                    field_value,
                )
            else:
                assert_typed(field_value, wire[wire_name], root, child, "%s.%s" % (where, wire_name))
    elif node["type"] == "array":
        assert type(value) is list, where
        assert len(value) == len(wire), where
        for index, (item, wire_item) in enumerate(zip(value, wire)):
            assert_typed(item, wire_item, root, node["items"], "%s[%d]" % (where, index))
    else:
        assert type(value) is type(wire) and value == wire, "%s: %r != %r" % (where, value, wire)


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
@settings(max_examples=examples())
@given(data=st.data())
def test_wire_payload_survives_decode_then_encode(action, direction, data):
    payload = data.draw(payloads(action, direction), label="payload")
    obj = decode(action, direction, payload)
    again = protocol.encode(obj)
    assert again == payload
    assert wire_text(again) == wire_text(payload)


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
@settings(max_examples=examples())
@given(data=st.data())
def test_typed_object_has_generated_types_and_survives_encode_then_decode(action, direction, data):
    payload = data.draw(payloads(action, direction), label="payload")
    obj = decode(action, direction, payload)
    root = message_schema(action, direction)
    assert_typed(obj, payload, root, root, "payload")
    assert protocol.action_of(obj) == action
    assert protocol.is_request(obj) is (direction == "request")
    expected_class = (
        protocol.request_class(action) if direction == "request" else protocol.response_class(action)
    )
    assert type(obj) is expected_class
    assert type(obj).__module__ == (call if direction == "request" else call_result).__name__
    assert decode(action, direction, protocol.encode(obj)) == obj
