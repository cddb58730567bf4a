"""A small hand-written protocol module for the runtime tests.

It implements the interface of docs/architecture.md ("ocpp16.protocol") for
seven 1.6 actions, with real schema rules (required, types, maxLength, enum,
date-time, minimum, additionalProperties) so validation paths are exercised.
MicroPython-safe: it is imported unchanged by tests/runtime/mp_run.py.
"""

VERSION = "1.6"
SUBPROTOCOL = "ocpp1.6"

ACTIONS = {
    "Authorize": ("ChargePoint", "Core"),
    "BootNotification": ("ChargePoint", "Core"),
    "DataTransfer": ("Both", "Core"),
    "Heartbeat": ("ChargePoint", "Core"),
    "RemoteStartTransaction": ("CentralSystem", "Core"),
    "Reset": ("CentralSystem", "Core"),
    "StatusNotification": ("ChargePoint", "Core"),
}


class ValidationError(Exception):
    def __init__(self, code, path, rule):
        self.code = code
        self.path = path
        self.rule = rule
        super().__init__("%s: %s" % (path or "(payload)", rule))

    def __str__(self):
        return "%s: %s" % (self.path or "(payload)", self.rule)


STRING = "string"
INTEGER = "integer"
NUMBER = "number"
DATETIME = "date-time"
OBJECT = "object"


class Field:
    def __init__(
        self,
        wire,
        name,
        kind,
        required=False,
        max_length=None,
        enum=None,
        minimum=None,
        nested=None,
    ):
        self.wire = wire
        self.name = name
        self.kind = kind
        self.required = required
        self.max_length = max_length
        self.enum = enum
        self.minimum = minimum
        self.nested = nested


class Payload:
    """Base of the payload classes: keyword construction, equality, repr."""

    action = None
    request = None
    fields = ()

    def __init__(self, **kwargs):
        for field in self.fields:
            value = kwargs.pop(field.name, None)
            if value is None and field.required:
                raise TypeError("%s needs %s" % (type(self), field.name))
            setattr(self, field.name, value)
        if kwargs:
            raise TypeError("unexpected fields %r" % sorted(kwargs))

    def __eq__(self, other):
        if type(other) is not type(self):
            return False
        for field in self.fields:
            if getattr(self, field.name) != getattr(other, field.name):
                return False
        return True

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        parts = []
        for field in self.fields:
            value = getattr(self, field.name)
            if value is not None:
                parts.append("%s=%r" % (field.name, value))
        return "%s(%s)" % (self.action or "Object", ", ".join(parts))


class IdTagInfo(Payload):
    fields = (
        Field(
            "status",
            "status",
            STRING,
            True,
            enum=("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"),
        ),
        Field("expiryDate", "expiry_date", DATETIME),
        Field("parentIdTag", "parent_id_tag", STRING, max_length=20),
    )


class BootNotificationRequest(Payload):
    action = "BootNotification"
    request = True
    fields = (
        Field("chargePointVendor", "charge_point_vendor", STRING, True, 20),
        Field("chargePointModel", "charge_point_model", STRING, True, 20),
        Field(
            "chargePointSerialNumber",
            "charge_point_serial_number",
            STRING,
            max_length=25,
        ),
        Field("firmwareVersion", "firmware_version", STRING, max_length=50),
    )


class BootNotificationResponse(Payload):
    action = "BootNotification"
    request = False
    fields = (
        Field("status", "status", STRING, True, enum=("Accepted", "Pending", "Rejected")),
        Field("currentTime", "current_time", DATETIME, True),
        Field("interval", "interval", INTEGER, True),
    )


class HeartbeatRequest(Payload):
    action = "Heartbeat"
    request = True
    fields = ()


class HeartbeatResponse(Payload):
    action = "Heartbeat"
    request = False
    fields = (Field("currentTime", "current_time", DATETIME, True),)


class AuthorizeRequest(Payload):
    action = "Authorize"
    request = True
    fields = (Field("idTag", "id_tag", STRING, True, 20),)


class AuthorizeResponse(Payload):
    action = "Authorize"
    request = False
    fields = (Field("idTagInfo", "id_tag_info", OBJECT, True, nested=IdTagInfo),)


_CONNECTOR_ERRORS = (
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "OverVoltage",
    "WeakSignal",
)
_CONNECTOR_STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
)


class StatusNotificationRequest(Payload):
    action = "StatusNotification"
    request = True
    fields = (
        Field("connectorId", "connector_id", INTEGER, True, minimum=0),
        Field("errorCode", "error_code", STRING, True, enum=_CONNECTOR_ERRORS),
        Field("info", "info", STRING, max_length=50),
        Field("status", "status", STRING, True, enum=_CONNECTOR_STATUSES),
        Field("timestamp", "timestamp", DATETIME),
        Field("vendorId", "vendor_id", STRING, max_length=255),
        Field("vendorErrorCode", "vendor_error_code", STRING, max_length=50),
    )


class StatusNotificationResponse(Payload):
    action = "StatusNotification"
    request = False
    fields = ()


class ResetRequest(Payload):
    action = "Reset"
    request = True
    fields = (Field("type", "type", STRING, True, enum=("Hard", "Soft")),)


class ResetResponse(Payload):
    action = "Reset"
    request = False
    fields = (Field("status", "status", STRING, True, enum=("Accepted", "Rejected")),)


class RemoteStartTransactionRequest(Payload):
    action = "RemoteStartTransaction"
    request = True
    fields = (
        Field("connectorId", "connector_id", INTEGER),
        Field("idTag", "id_tag", STRING, True, 20),
    )


class RemoteStartTransactionResponse(Payload):
    action = "RemoteStartTransaction"
    request = False
    fields = (Field("status", "status", STRING, True, enum=("Accepted", "Rejected")),)


class DataTransferRequest(Payload):
    action = "DataTransfer"
    request = True
    fields = (
        Field("vendorId", "vendor_id", STRING, True, 255),
        Field("messageId", "message_id", STRING, max_length=50),
        Field("data", "data", STRING),
    )


class DataTransferResponse(Payload):
    action = "DataTransfer"
    request = False
    fields = (
        Field(
            "status",
            "status",
            STRING,
            True,
            enum=("Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"),
        ),
        Field("data", "data", STRING),
    )


_REQUESTS = {}
_RESPONSES = {}
for _cls in (
    BootNotificationRequest,
    HeartbeatRequest,
    AuthorizeRequest,
    StatusNotificationRequest,
    ResetRequest,
    RemoteStartTransactionRequest,
    DataTransferRequest,
):
    _REQUESTS[_cls.action] = _cls
for _cls in (
    BootNotificationResponse,
    HeartbeatResponse,
    AuthorizeResponse,
    StatusNotificationResponse,
    ResetResponse,
    RemoteStartTransactionResponse,
    DataTransferResponse,
):
    _RESPONSES[_cls.action] = _cls


def request_class(action):
    return _REQUESTS[action]


def response_class(action):
    return _RESPONSES[action]


# ------------------------------------------------------------------ checks


def _join(prefix, name):
    if prefix:
        return prefix + "." + name
    return name


def _is_datetime(value):
    # Enough of RFC 3339 for tests: "YYYY-MM-DDTHH:MM:SS" plus zone.
    return (
        len(value) >= 20
        and value[4] == "-"
        and value[7] == "-"
        and value[10] == "T"
        and value[13] == ":"
    )


def _check_value(field, value, path):
    kind = field.kind
    if kind == STRING or kind == DATETIME:
        if type(value) is not str:
            raise ValidationError("TypeConstraintViolation", path, "type string")
        if field.max_length is not None and len(value) > field.max_length:
            raise ValidationError(
                "PropertyConstraintViolation", path, "maxLength %d" % field.max_length
            )
        if field.enum is not None and value not in field.enum:
            raise ValidationError("PropertyConstraintViolation", path, "enum")
        if kind == DATETIME and not _is_datetime(value):
            raise ValidationError("PropertyConstraintViolation", path, "format date-time")
    elif kind == INTEGER:
        if type(value) is not int:
            raise ValidationError("TypeConstraintViolation", path, "type integer")
        if field.minimum is not None and value < field.minimum:
            raise ValidationError("PropertyConstraintViolation", path, "minimum %d" % field.minimum)
    elif kind == OBJECT:
        _check_object(field.nested, value, path)


def _check_object(cls, payload, path):
    if type(payload) is not dict:
        raise ValidationError("TypeConstraintViolation", path, "type object")
    known = {}
    for field in cls.fields:
        known[field.wire] = True
        field_path = _join(path, field.wire)
        if field.wire not in payload:
            if field.required:
                raise ValidationError("OccurenceConstraintViolation", field_path, "required")
            continue
        _check_value(field, payload[field.wire], field_path)
    extra = []
    for key in payload:
        if key not in known:
            extra.append(key)
    if extra:
        extra.sort()
        raise ValidationError("FormationViolation", _join(path, extra[0]), "additionalProperties")


def validate_request(action, payload):
    _check_object(_REQUESTS[action], payload, "")


def validate_response(action, payload):
    _check_object(_RESPONSES[action], payload, "")


# ------------------------------------------------------------------ codec


def _decode(cls, payload):
    kwargs = {}
    for field in cls.fields:
        value = payload.get(field.wire)
        if value is not None and field.nested is not None:
            value = _decode(field.nested, value)
        kwargs[field.name] = value
    return cls(**kwargs)


def decode_request(action, payload):
    return _decode(_REQUESTS[action], payload)


def decode_response(action, payload):
    return _decode(_RESPONSES[action], payload)


def encode(obj):
    wire = {}
    for field in obj.fields:
        value = getattr(obj, field.name)
        if value is None:
            continue
        if field.nested is not None:
            value = encode(value)
        wire[field.wire] = value
    return wire


def action_of(obj):
    if not isinstance(obj, Payload):
        return None
    return obj.action


def is_request(obj):
    return bool(getattr(obj, "request", False))


def request_kwargs(obj):
    kwargs = {}
    for field in obj.fields:
        value = getattr(obj, field.name)
        if value is not None:
            kwargs[field.name] = value
    return kwargs
