"""The incumbent, mobilityhouse `ocpp` 2.1.0, driven the way its own
ChargePoint drives it, minus the asyncio plumbing.

Receiving (ChargePoint.route_message + _handle_call): `unpack(text)` then
schema validation. In 2.1.0 `validate_payload` is a coroutine that runs
`_validate_payload` in an executor (or inline when ASYNC_VALIDATION is
off); we call `_validate_payload` directly, which is the same work without
the event loop. Their handlers then get `camel_to_snake_case(payload)`;
`decode_for_handler` adds that step for anyone who wants it.

Sending (ChargePoint.call): `serialize_as_dict` → `snake_to_camel_case` →
`remove_nones` → `Call(...)` → `_validate_payload` → `to_json()`.
"""

import importlib.metadata

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.messages import Call, _validate_payload, unpack
from ocpp.v16 import call, datatypes, enums

VERSION = importlib.metadata.version("ocpp")

_SAMPLED_VALUE_ENUMS = {
    "context": enums.ReadingContext,
    "format": enums.ValueFormat,
    "measurand": enums.Measurand,
    "phase": enums.Phase,
    "location": enums.Location,
    "unit": enums.UnitOfMeasure,
}
_TOP_LEVEL_ENUMS = {
    "StatusNotification": {
        "error_code": enums.ChargePointErrorCode,
        "status": enums.ChargePointStatus,
    },
    "StopTransaction": {"reason": enums.Reason},
}


def _sampled_value(d):
    return datatypes.SampledValue(
        **{
            k: (_SAMPLED_VALUE_ENUMS[k](v) if k in _SAMPLED_VALUE_ENUMS else v)
            for k, v in d.items()
        }
    )


def _meter_value(d):
    return datatypes.MeterValue(
        timestamp=d["timestamp"], sampled_value=[_sampled_value(s) for s in d["sampled_value"]]
    )


def typed_request(action, payload):
    """Their call.<Action> dataclass for a wire payload, built as a user
    would: snake_case fields, their enums, their nested datatypes."""
    kwargs = camel_to_snake_case(payload)
    for name, enum in _TOP_LEVEL_ENUMS.get(action, {}).items():
        if name in kwargs:
            kwargs[name] = enum(kwargs[name])
    for name in ("meter_value", "transaction_data"):
        if name in kwargs:
            kwargs[name] = [_meter_value(m) for m in kwargs[name]]
    return getattr(call, action)(**kwargs)


def decode(text):
    """Frame text → validated Call (camelCase payload dict)."""
    message = unpack(text)
    _validate_payload(message, "1.6")
    return message


def decode_for_handler(text):
    message = decode(text)
    return camel_to_snake_case(message.payload)


def encode(obj, unique_id):
    """Their dataclass → validated CALL text, as ChargePoint.call builds it."""
    camel_case_payload = snake_to_camel_case(serialize_as_dict(obj))
    message = Call(
        unique_id=unique_id, action=obj.__class__.__name__, payload=remove_nones(camel_case_payload)
    )
    _validate_payload(message, "1.6")
    return message.to_json()
