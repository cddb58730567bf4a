"""The EMQX payload codec: what services may publish, and the error that
names field and rule for what they may not."""

import json

import pytest
from ocppj_aio.gateway import codec


def test_messages_round_trip_with_every_key():
    for message in (
        codec.Message(2, "1", "Reset", {"type": "Soft"}),
        codec.Message(3, "2", "Reset", {"status": "Accepted"}),
        codec.Message(4, "3", "Reset", None, "NotSupported", "no", {"why": "x"}),
    ):
        back = codec.decode(codec.encode(message))
        for name in codec.Message.__slots__:
            assert getattr(back, name) == getattr(message, name), name


def test_encoded_call_result_and_error_carry_the_emqx_keys():
    assert json.loads(codec.call("1", "Heartbeat", {})) == {
        "MessageTypeId": 2,
        "UniqueId": "1",
        "Action": "Heartbeat",
        "Payload": {},
    }
    assert json.loads(codec.result("1", "Heartbeat", {"currentTime": "x"}))["Action"] == "Heartbeat"
    error = json.loads(codec.error("1", None, "GenericError", "d", {"a": 1}))
    assert error == {
        "MessageTypeId": 4,
        "UniqueId": "1",
        "ErrorCode": "GenericError",
        "ErrorDescription": "d",
        "ErrorDetails": {"a": 1},
    }


def test_optional_keys_default_and_errata_spellings_become_1_6_codes():
    message = codec.decode(b'{"MessageTypeId":4,"UniqueId":"1","ErrorCode":"FormatViolation"}')
    assert message.error_code == "FormationViolation"
    assert message.error_description == ""
    assert message.error_details == {}
    message = codec.decode('{"MessageTypeId":3,"UniqueId":"1","Payload":{},"Extra":1}')
    assert message.action is None


@pytest.mark.parametrize(
    "raw, field, rule",
    [
        (b"\xff\xfe", "(message)", "UTF-8"),
        (b"{nope", "(message)", "JSON"),
        (b'[2, "1", "Reset", {}]', "(message)", "type object"),
        (b'{"MessageTypeId": 2, "Action": "Reset", "Payload": {}}', "UniqueId", "required"),
        (
            b'{"MessageTypeId": 2, "UniqueId": 7, "Action": "Reset", "Payload": {}}',
            "UniqueId",
            "type string",
        ),
        (
            b'{"MessageTypeId": 2, "UniqueId": "' + b"x" * 37 + b'", "Action": "R", "Payload": {}}',
            "UniqueId",
            "maxLength 36",
        ),
        (b'{"UniqueId": "1", "Action": "Reset", "Payload": {}}', "MessageTypeId", "required"),
        (b'{"MessageTypeId": 5, "UniqueId": "1"}', "MessageTypeId", "enum [2, 3, 4]"),
        (b'{"MessageTypeId": true, "UniqueId": "1"}', "MessageTypeId", "enum [2, 3, 4]"),
        (b'{"MessageTypeId": 2, "UniqueId": "1", "Payload": {}}', "Action", "required"),
        (
            b'{"MessageTypeId": 2, "UniqueId": "1", "Action": 3, "Payload": {}}',
            "Action",
            "type string",
        ),
        (b'{"MessageTypeId": 2, "UniqueId": "1", "Action": "Reset"}', "Payload", "required"),
        (b'{"MessageTypeId": 3, "UniqueId": "1", "Payload": []}', "Payload", "type object"),
        (b'{"MessageTypeId": 4, "UniqueId": "1"}', "ErrorCode", "required"),
        (
            b'{"MessageTypeId": 4, "UniqueId": "1", "ErrorCode": "Oops"}',
            "ErrorCode",
            "enum (OCPP-J 1.6 table 7)",
        ),
        (
            b'{"MessageTypeId": 4, "UniqueId": "1", "ErrorCode": "GenericError",'
            b' "ErrorDetails": 1}',
            "ErrorDetails",
            "type object",
        ),
        (
            b'{"MessageTypeId": 4, "UniqueId": "1", "ErrorCode": "GenericError",'
            b' "ErrorDescription": 1}',
            "ErrorDescription",
            "type string",
        ),
    ],
)
def test_malformed_messages_are_refused_naming_field_and_rule(raw, field, rule):
    with pytest.raises(codec.ServiceMessageError) as refused:
        codec.decode(raw)
    assert refused.value.field == field
    assert refused.value.rule == rule
    assert refused.value.reason == "malformed"
    assert field in str(refused.value) and rule in str(refused.value)
