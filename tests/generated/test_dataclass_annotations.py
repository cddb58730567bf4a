"""The generated dataclasses' annotations: resolvable, and what the schemas say.

Type checkers, IDEs and libraries that call typing.get_type_hints read these
annotations, so they must name real classes and match the wire types:
str/int/float/bool, the enum class for an enum, the datatype class for a
nested object, List[...] for an array, Optional[...] for an optional field.
"""

import dataclasses
import enum
import inspect
import re
import typing

import pytest
from ocpp16 import call, call_result, datatypes, enums
from wire_schemas import MESSAGES, message_schema, resolve

SCALARS = {"string": str, "integer": int, "number": float, "boolean": bool}


def generated_classes():
    for module in (datatypes, call, call_result):
        for name, cls in inspect.getmembers(module, dataclasses.is_dataclass):
            # not the *Payload aliases
            if cls.__module__ == module.__name__ and cls.__name__ == name:
                yield module.__name__.split(".")[-1] + "." + name, cls


CLASSES = dict(generated_classes())


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_annotations_resolve(name):
    typing.get_type_hints(CLASSES[name])


def hints(cls):
    """The annotations of the fields (class variables such as
    Payload._item_keys are not fields)."""
    fields = {field.name for field in dataclasses.fields(cls)}
    return {name: hint for name, hint in typing.get_type_hints(cls).items() if name in fields}


def python_name(wire_name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", wire_name).lower()


def check_hint(hint, root, node, required, where):
    if not required:
        assert typing.get_origin(hint) is typing.Union, "%s: optional but %r" % (where, hint)
        args = typing.get_args(hint)
        assert type(None) in args and len(args) == 2, "%s: %r" % (where, hint)
        hint = next(a for a in args if a is not type(None))
    node = resolve(root, node)
    if "enum" in node:
        assert isinstance(hint, type) and issubclass(hint, enum.Enum), "%s: %r" % (where, hint)
        assert getattr(enums, hint.__name__) is hint, where
        assert {member.value for member in hint} == set(node["enum"]), where
    elif node["type"] == "object":
        assert getattr(datatypes, hint.__name__, None) is hint, "%s: %r is not a datatype" % (
            where,
            hint,
        )
        check_fields(hint, root, node, where)
    elif node["type"] == "array":
        assert typing.get_origin(hint) is list, "%s: %r" % (where, hint)
        check_hint(typing.get_args(hint)[0], root, node["items"], True, where + "[]")
    else:
        assert hint is SCALARS[node["type"]], "%s: %r for %s" % (where, hint, node["type"])


def check_fields(cls, root, node, where):
    properties = node.get("properties", {})
    required = set(node.get("required", ()))
    resolved = hints(cls)
    assert set(resolved) == {python_name(name) for name in properties}, where
    for wire_name, child in properties.items():
        hint = resolved[python_name(wire_name)]
        check_hint(hint, root, child, wire_name in required, "%s.%s" % (where, wire_name))


@pytest.mark.parametrize("action,direction", MESSAGES, ids=["%s-%s" % m for m in MESSAGES])
def test_annotations_match_the_schema(action, direction):
    module = call if direction == "request" else call_result
    root = message_schema(action, direction)
    check_fields(getattr(module, action), root, root, action)
