"""The frozen intermediate model every template renders from.

Each field carries its wire name, its Python name, its type and its
constraints, so no template needs to look at a JSON schema.
"""

from dataclasses import dataclass, field
from typing import Optional, Tuple

# Value kinds a TypeRef can have.
STRING = "string"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
ENUM = "enum"
OBJECT = "object"
ARRAY = "array"


@dataclass(frozen=True)
class TypeRef:
    kind: str
    enum: Optional[str] = None  # EnumType.name when kind == ENUM
    object: Optional[str] = None  # ObjectType.name when kind == OBJECT
    item: Optional["TypeRef"] = None  # element type when kind == ARRAY
    max_length: Optional[int] = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    multiple_of: Optional[float] = None
    format: Optional[str] = None  # "date-time" or "uri"
    min_items: Optional[int] = None
    max_items: Optional[int] = None
    # draft-06 counts 1.0 as an integer, draft-04 does not.
    integral_float: bool = False


@dataclass(frozen=True)
class Field:
    wire_name: str
    py_name: str
    type: TypeRef
    required: bool
    description: str = ""


@dataclass(frozen=True)
class ObjectType:
    name: str
    fields: Tuple[Field, ...]
    additional_properties: bool
    # Where the type was first met, e.g. "MeterValues.json#/properties/meterValue/items".
    origin: str

    @property
    def required_fields(self) -> Tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    @property
    def optional_fields(self) -> Tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.required)


@dataclass(frozen=True)
class EnumType:
    name: str
    values: Tuple[str, ...]
    # Specification type names that share this value set, e.g. ResetStatus.
    aliases: Tuple[str, ...]
    origin: str


@dataclass(frozen=True)
class Message:
    action: str
    is_request: bool
    class_name: str  # e.g. "BootNotification" (in call or call_result)
    object: ObjectType
    schema_file: str


@dataclass(frozen=True)
class Action:
    name: str
    py_name: str  # snake_case, e.g. "boot_notification"
    initiator: str  # "ChargePoint", "CentralSystem" or "Both"
    profile: str
    section: str
    request: Message
    response: Message


@dataclass(frozen=True)
class Model:
    actions: Tuple[Action, ...]
    enums: Tuple[EnumType, ...]
    datatypes: Tuple[ObjectType, ...]  # nested object types, shared across actions
    source: str  # e.g. "ocpp 2.1.0 wheel"
    errata: Tuple[str, ...] = field(default=())  # ids of the applied patches

    def object(self, name: str) -> ObjectType:
        for obj in self.datatypes:
            if obj.name == name:
                return obj
        for action in self.actions:
            for message in (action.request, action.response):
                if message.object.name == name:
                    return message.object
        raise KeyError(name)

    def enum(self, name: str) -> EnumType:
        for enum in self.enums:
            if enum.name == name:
                return enum
        raise KeyError(name)

    def payload_depth(self) -> Optional[int]:
        """How deep a payload that passes validation can nest (the payload
        object is level 1), or None when some object admits properties the
        schema does not name, so nothing bounds what they hold."""
        return _deepest(self._object_depth(message.object) for message in self.messages)

    def _object_depth(self, obj: ObjectType) -> Optional[int]:
        if obj.additional_properties:
            return None
        inner = _deepest(self._type_depth(f.type) for f in obj.fields)
        return None if inner is None else 1 + inner

    def _type_depth(self, ref: TypeRef) -> Optional[int]:
        if ref.kind == ARRAY:
            inner = self._type_depth(ref.item)
            return None if inner is None else 1 + inner
        if ref.kind == OBJECT:
            return self._object_depth(self.object(ref.object))
        return 0

    @property
    def messages(self) -> Tuple[Message, ...]:
        out = []
        for action in self.actions:
            out.append(action.request)
            out.append(action.response)
        return tuple(out)


def _deepest(depths) -> Optional[int]:
    """The largest of ``depths`` (0 when there are none), None if any is None."""
    deepest = 0
    for depth in depths:
        if depth is None:
            return None
        deepest = max(deepest, depth)
    return deepest
