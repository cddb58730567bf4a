"""JSON schemas → the frozen intermediate model.

Nested objects and enumerations are shared by structure: two places with
the same properties, types, constraints and required set become one class,
and one value set becomes one enum class (with the specification's other
names for it kept as aliases).
"""

from typing import Any, Dict, List, Optional, Tuple

from . import model as m
from .loader import SchemaError, Sources
from .naming import (
    ENUM_NAMES,
    OBJECT_NAMES,
    SHARED_ENUM_NAMES,
    definition_name,
    pascal_case,
    snake_case,
)

# Keywords that carry no validation meaning here.
METADATA_KEYWORDS = {"$schema", "$id", "id", "title", "description", "javaType", "definitions"}
TYPE_KEYWORDS = {
    "string": {"type", "maxLength", "format", "enum", "additionalProperties"},
    "integer": {"type", "minimum", "maximum", "multipleOf", "additionalProperties"},
    "number": {"type", "minimum", "maximum", "multipleOf", "additionalProperties"},
    "boolean": {"type", "additionalProperties"},
    "object": {"type", "properties", "required", "additionalProperties"},
    "array": {"type", "items", "minItems", "maxItems", "additionalItems"},
}
FORMATS = {"date-time", "uri"}
DRAFT_06 = "http://json-schema.org/draft-06/schema#"


class _EnumEntry:
    def __init__(self, values: Tuple[str, ...], location: str, origin: str):
        self.values = values
        self.locations = [location]
        self.origin = origin
        self.definition_names = set()  # names the schemas' own definitions give it


class _Builder:
    def __init__(self) -> None:
        self.enums: Dict[Tuple[str, ...], _EnumEntry] = {}
        self.objects: Dict[Tuple[Any, ...], m.ObjectType] = {}
        self.object_names: Dict[str, Tuple[Any, ...]] = {}

    # -- entry points -------------------------------------------------------

    def message(self, schema_file: str, schema: Any, action: str, is_request: bool) -> m.Message:
        base = schema_file[: -len(".json")]
        context = _Context(schema_file, schema)
        name = action + ("Request" if is_request else "Response")
        self._check_keywords(context, schema, "", {"object"})
        fields, additional = self._fields(context, schema, "", base)
        root = m.ObjectType(name, fields, additional, "%s#/" % schema_file)
        return m.Message(action, is_request, action, root, schema_file)

    # -- helpers -------------------------------------------------------------

    def _check_keywords(self, context: "_Context", node: Any, pointer: str, kinds) -> None:
        if not isinstance(node, dict):
            raise SchemaError(context.file, pointer, "schema node is not an object")
        kind = node.get("type")
        if isinstance(kind, list):
            raise SchemaError(context.file, pointer, "type lists are not supported")
        if kind not in TYPE_KEYWORDS:
            raise SchemaError(context.file, pointer, "unsupported type %r" % (kind,))
        allowed = TYPE_KEYWORDS[kind] | METADATA_KEYWORDS
        unknown = sorted(set(node) - allowed)
        if unknown:
            raise SchemaError(
                context.file,
                pointer,
                "keyword %s is not understood for type %s" % (", ".join(unknown), kind),
            )
        if kinds is not None and kind not in kinds:
            raise SchemaError(context.file, pointer, "expected type %s" % "/".join(sorted(kinds)))

    def _fields(self, context, node, pointer, location) -> Tuple[Tuple[m.Field, ...], bool]:
        properties = node.get("properties", {})
        required = node.get("required", [])
        for name in required:
            if name not in properties:
                raise SchemaError(
                    context.file, pointer + "/required", "%r is required but not a property" % name
                )
        additional = node.get("additionalProperties", True)
        if not isinstance(additional, bool):
            raise SchemaError(
                context.file, pointer + "/additionalProperties", "only true/false is supported"
            )
        fields = []
        for wire_name, child in properties.items():
            child_pointer = "%s/properties/%s" % (pointer, wire_name)
            type_ref = self._type(
                context, child, child_pointer, location + "." + wire_name, wire_name
            )
            fields.append(
                m.Field(wire_name, snake_case(wire_name), type_ref, wire_name in required)
            )
        # Required first, as dataclasses need; schema order otherwise.
        ordered = [f for f in fields if f.required] + [f for f in fields if not f.required]
        return tuple(ordered), additional

    def _type(self, context, node, pointer, location, prop_name, ref_name=None) -> m.TypeRef:
        if isinstance(node, dict) and "$ref" in node:
            if set(node) - {"$ref"}:
                raise SchemaError(
                    context.file, pointer, "$ref beside other keywords is not supported"
                )
            target, ref_name = context.resolve(node["$ref"], pointer)
            pointer = node["$ref"][1:]
            node = target
        self._check_keywords(context, node, pointer, None)
        kind = node["type"]
        if "enum" in node:
            return m.TypeRef(m.ENUM, enum=self._enum(context, node, pointer, location, ref_name))
        if kind == "string":
            fmt = node.get("format")
            if fmt is not None and fmt not in FORMATS:
                raise SchemaError(context.file, pointer, "format %r is not understood" % fmt)
            return m.TypeRef(
                m.STRING, max_length=_int(context, node, pointer, "maxLength"), format=fmt
            )
        if kind in ("integer", "number"):
            return m.TypeRef(
                m.INTEGER if kind == "integer" else m.NUMBER,
                minimum=node.get("minimum"),
                maximum=node.get("maximum"),
                multiple_of=node.get("multipleOf"),
                integral_float=kind == "integer" and context.draft06,
            )
        if kind == "boolean":
            return m.TypeRef(m.BOOLEAN)
        if kind == "array":
            items = node.get("items")
            if not isinstance(items, dict):
                raise SchemaError(context.file, pointer + "/items", "items must be one schema")
            item = self._type(context, items, pointer + "/items", location, prop_name)
            return m.TypeRef(
                m.ARRAY,
                item=item,
                min_items=_int(context, node, pointer, "minItems"),
                max_items=_int(context, node, pointer, "maxItems"),
            )
        return m.TypeRef(
            m.OBJECT, object=self._object(context, node, pointer, location, prop_name, ref_name)
        )

    def _enum(self, context, node, pointer, location, ref_name) -> str:
        values = node["enum"]
        if not values or not all(isinstance(v, str) for v in values):
            raise SchemaError(context.file, pointer, "only non-empty string enums are supported")
        if len(set(values)) != len(values):
            raise SchemaError(context.file, pointer, "enum lists a value twice")
        key = tuple(sorted(values))
        entry = self.enums.get(key)
        if entry is None:
            entry = self.enums[key] = _EnumEntry(
                tuple(values), location, "%s#%s" % (context.file, pointer)
            )
        else:
            entry.locations.append(location)
        if ref_name is not None:
            entry.definition_names.add(definition_name(ref_name))
        return "enum:" + "|".join(key)  # replaced by the class name in finish()

    def _object(self, context, node, pointer, location, prop_name, ref_name) -> str:
        fields, additional = self._fields(context, node, pointer, location)
        key = (additional, tuple((f.wire_name, f.type, f.required) for f in fields))
        existing = self.objects.get(key)
        if existing is not None:
            return existing.name
        if prop_name in OBJECT_NAMES:
            name = OBJECT_NAMES[prop_name]
        elif ref_name is not None:
            name = definition_name(ref_name)
        else:
            name = pascal_case(prop_name)
        if name in self.object_names:
            # Same name, different structure: qualify with the owning schema.
            name = context.file[: -len(".json")] + name
        obj = m.ObjectType(name, fields, additional, "%s#%s" % (context.file, pointer))
        self.objects[key] = obj
        self.object_names[name] = key
        return name

    # -- naming of enums, once every use is known ---------------------------

    def enum_names(self) -> Dict[str, m.EnumType]:
        by_placeholder: Dict[str, m.EnumType] = {}
        taken: Dict[str, Tuple[str, ...]] = {}
        for key in sorted(self.enums):
            entry = self.enums[key]
            spec_names = []
            for location in sorted(entry.locations):
                spec_name = ENUM_NAMES.get(location)
                if spec_name is not None and spec_name not in spec_names:
                    spec_names.append(spec_name)
            if not spec_names:
                spec_names = sorted(entry.definition_names)
            if not spec_names and key not in SHARED_ENUM_NAMES:
                raise SchemaError(
                    entry.origin.split("#")[0],
                    entry.origin.split("#", 1)[1],
                    "enumeration at %s has no name: add it to ENUM_NAMES in generator/naming.py"
                    % sorted(entry.locations)[0],
                )
            name = SHARED_ENUM_NAMES[key] if key in SHARED_ENUM_NAMES else spec_names[0]
            if name in taken:
                raise SchemaError(
                    entry.origin.split("#")[0],
                    entry.origin.split("#", 1)[1],
                    "two different value sets are both named %s" % name,
                )
            taken[name] = key
            aliases = tuple(n for n in spec_names if n != name)
            by_placeholder["enum:" + "|".join(key)] = m.EnumType(
                name, entry.values, aliases, entry.origin
            )
        return by_placeholder


class _Context:
    def __init__(self, schema_file: str, schema: Any):
        self.file = schema_file
        self.schema = schema
        self.draft06 = schema.get("$schema") == DRAFT_06

    def resolve(self, ref: str, pointer: str) -> Tuple[Any, str]:
        prefix = "#/definitions/"
        if not ref.startswith(prefix):
            raise SchemaError(
                self.file, pointer, "only local #/definitions references are supported"
            )
        name = ref[len(prefix) :]
        try:
            return self.schema["definitions"][name], name
        except KeyError:
            raise SchemaError(self.file, pointer, "unresolved reference %s" % ref) from None


def _int(context, node, pointer, keyword) -> Optional[int]:
    value = node.get(keyword)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise SchemaError(context.file, pointer + "/" + keyword, "must be a non-negative integer")
    return value


def _rename_enums(type_ref: m.TypeRef, names: Dict[str, m.EnumType]) -> m.TypeRef:
    if type_ref.kind == m.ENUM:
        return m.TypeRef(m.ENUM, enum=names[type_ref.enum].name)
    if type_ref.kind == m.ARRAY:
        item = _rename_enums(type_ref.item, names)
        return m.TypeRef(
            m.ARRAY, item=item, min_items=type_ref.min_items, max_items=type_ref.max_items
        )
    return type_ref


def _finish_object(obj: m.ObjectType, names) -> m.ObjectType:
    fields = tuple(
        m.Field(f.wire_name, f.py_name, _rename_enums(f.type, names), f.required, f.description)
        for f in obj.fields
    )
    return m.ObjectType(obj.name, fields, obj.additional_properties, obj.origin)


def build_model(sources: Sources) -> m.Model:
    schemas = dict(sources.schemas)
    builder = _Builder()
    raw_actions: List[Tuple[Any, m.Message, m.Message]] = []
    for row in sources.actions:
        request = builder.message(row.name + ".json", schemas[row.name + ".json"], row.name, True)
        response_file = row.name + "Response.json"
        response = builder.message(response_file, schemas[response_file], row.name, False)
        raw_actions.append((row, request, response))

    names = builder.enum_names()
    actions = []
    for row, request, response in raw_actions:
        actions.append(
            m.Action(
                name=row.name,
                py_name=snake_case(row.name),
                initiator=row.initiator,
                profile=row.profile,
                section=row.section,
                request=m.Message(
                    request.action,
                    True,
                    request.class_name,
                    _finish_object(request.object, names),
                    request.schema_file,
                ),
                response=m.Message(
                    response.action,
                    False,
                    response.class_name,
                    _finish_object(response.object, names),
                    response.schema_file,
                ),
            )
        )
    datatypes = tuple(
        sorted((_finish_object(o, names) for o in builder.objects.values()), key=lambda o: o.name)
    )
    enums = tuple(sorted(names.values(), key=lambda e: e.name))
    return m.Model(tuple(actions), enums, datatypes, sources.source, sources.errata)
