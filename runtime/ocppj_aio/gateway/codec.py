"""The EMQX OCPP gateway's MQTT payload, both ways, plus ``ErrorDetails``.

One JSON object per MQTT message::

    {"MessageTypeId": 2, "UniqueId": "42", "Action": "Heartbeat", "Payload": {}}
    {"MessageTypeId": 3, "UniqueId": "42", "Action": "Heartbeat",
     "Payload": {"currentTime": "2026-01-01T00:00:00Z"}}
    {"MessageTypeId": 4, "UniqueId": "42", "Action": "Reset",
     "ErrorCode": "NotSupported", "ErrorDescription": "...", "ErrorDetails": {}}

``MessageTypeId`` and ``UniqueId`` always; ``Action`` and ``Payload`` for a
CALL; ``Payload`` for a CALLRESULT (``Action`` optional: this gateway puts
it on every CALLRESULT it publishes, EMQX does not); ``ErrorCode`` for a
CALLERROR (``ErrorDescription`` and ``ErrorDetails`` optional, ``""`` and
``{}`` when absent). Keys this table does not name are ignored, as EMQX
does.

``decode`` checks the envelope of what a service published and raises
``ServiceMessageError`` naming the field and the rule it breaks; the
payload's schema is checked by the bridge, which knows the action.
"""

from json.encoder import JSONEncoder, c_make_encoder, encode_basestring

from ocppj import errors, framing

from .. import speedups

CALL = framing.CALL
CALLRESULT = framing.CALLRESULT
CALLERROR = framing.CALLERROR
MESSAGE_TYPES = (CALL, CALLRESULT, CALLERROR)

# One C encoder, made once (json.dumps makes one per call, which costs more
# than a small message does): compact, UTF-8 left as it is.
_encoder = c_make_encoder(
    None, JSONEncoder().default, encode_basestring, None, ":", ",", False, False, True
)


def _dumps(value):
    return "".join(_encoder(value, 0))


class ServiceMessageError(Exception):
    """A service's MQTT message the gateway refuses. ``code`` is the OCPP-J
    CallError code that fits, ``field`` the offending key (a dotted path
    into ``Payload`` for schema failures), ``rule`` what it breaks,
    ``reason`` a short word for the gateway error topic (see bridge)."""

    def __init__(
        self, code, field, rule, description, reason="invalid", unique_id=None, action=None
    ):
        super().__init__(description)
        self.code = code
        self.field = field
        self.rule = rule
        self.description = description
        self.reason = reason
        self.unique_id = unique_id
        self.action = action


class Message:
    """One decoded EMQX-format message."""

    __slots__ = (
        "message_type",
        "unique_id",
        "action",
        "payload",
        "error_code",
        "error_description",
        "error_details",
    )

    def __init__(
        self,
        message_type,
        unique_id,
        action=None,
        payload=None,
        error_code=None,
        error_description="",
        error_details=None,
    ):
        self.message_type = message_type
        self.unique_id = unique_id
        self.action = action
        self.payload = payload
        self.error_code = error_code
        self.error_description = error_description
        self.error_details = error_details

    def __repr__(self):
        return "<Message %d %r %r>" % (self.message_type, self.unique_id, self.action)


# ------------------------------------------------------------------ encode


def call(unique_id, action, payload):
    return _dumps(
        {"MessageTypeId": CALL, "UniqueId": unique_id, "Action": action, "Payload": payload}
    ).encode("utf-8")


def result(unique_id, action, payload):
    return _dumps(
        {"MessageTypeId": CALLRESULT, "UniqueId": unique_id, "Action": action, "Payload": payload}
    ).encode("utf-8")


def error(unique_id, action, code, description, details=None):
    message = {
        "MessageTypeId": CALLERROR,
        "UniqueId": unique_id,
        "ErrorCode": code,
        "ErrorDescription": description,
        "ErrorDetails": details or {},
    }
    if action is not None:
        message["Action"] = action
    return _dumps(message).encode("utf-8")


def encode(message):
    """The bytes of a ``Message``."""
    if message.message_type == CALL:
        return call(message.unique_id, message.action, message.payload)
    if message.message_type == CALLRESULT:
        return result(message.unique_id, message.action, message.payload)
    return error(
        message.unique_id,
        message.action,
        message.error_code,
        message.error_description,
        message.error_details,
    )


# ------------------------------------------------------------------ decode


def _refuse(field, rule, what, unique_id=None, action=None, code="FormationViolation"):
    raise ServiceMessageError(
        code,
        field,
        rule,
        "%s violates %s%s" % (field, rule, what and ": " + what),
        reason="malformed",
        unique_id=unique_id,
        action=action,
    )


def _optional_string(document, key, unique_id, action=None):
    value = document.get(key)
    if value is not None and type(value) is not str:
        _refuse(key, "type string", "got %s" % _json_type(value), unique_id, action)
    return value


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def decode(data):
    """A ``Message`` from the bytes (or str) a service published; raises
    ServiceMessageError for anything that is not a well-formed EMQX
    message."""
    try:
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8")
        # json.loads, minus its wrappers, refusing NaN and Infinity
        document = speedups.loads(data)
    except UnicodeDecodeError as exc:
        _refuse("(message)", "UTF-8", "byte %d cannot be decoded" % exc.start)
    except ValueError as exc:
        _refuse("(message)", "JSON", str(exc))
    if type(document) is not dict:
        _refuse("(message)", "type object", "got %s" % _json_type(document))
    unique_id = document.get("UniqueId")
    if unique_id is None:
        _refuse("UniqueId", "required", "")
    if not framing.is_valid_unique_id(unique_id):
        if type(unique_id) is str:
            _refuse("UniqueId", "maxLength %d" % framing.MAX_UNIQUE_ID_LENGTH, "")
        _refuse("UniqueId", "type string", "got %s" % _json_type(unique_id))
    message_type = document.get("MessageTypeId")
    if message_type is None:
        _refuse("MessageTypeId", "required", "", unique_id)
    if type(message_type) is not int or message_type not in MESSAGE_TYPES:
        _refuse("MessageTypeId", "enum [2, 3, 4]", "got %r" % (message_type,), unique_id)
    action = _optional_string(document, "Action", unique_id)
    if message_type == CALLERROR:
        code = document.get("ErrorCode")
        if code is None:
            _refuse("ErrorCode", "required", "", unique_id, action)
        if type(code) is not str:
            _refuse("ErrorCode", "type string", "got %s" % _json_type(code), unique_id, action)
        cls = errors.error_class(code) or errors.RECEIVED_SPELLINGS.get(code)
        if cls is None:
            _refuse(
                "ErrorCode",
                "enum (OCPP-J 1.6 table 7)",
                "%r is not a CallError code" % code,
                unique_id,
                action,
            )
        description = _optional_string(document, "ErrorDescription", unique_id, action) or ""
        details = document.get("ErrorDetails")
        if details is None:
            details = {}
        if type(details) is not dict:
            _refuse(
                "ErrorDetails", "type object", "got %s" % _json_type(details), unique_id, action
            )
        return Message(CALLERROR, unique_id, action, None, cls.code, description, details)
    if message_type == CALL and action is None:
        _refuse("Action", "required", "", unique_id)
    payload = document.get("Payload")
    if payload is None:
        _refuse("Payload", "required", "", unique_id, action)
    if type(payload) is not dict:
        _refuse("Payload", "type object", "got %s" % _json_type(payload), unique_id, action)
    return Message(message_type, unique_id, action, payload)
