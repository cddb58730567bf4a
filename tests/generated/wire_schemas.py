"""The schemas the generator used, read through the generator's own loader.

`generator.loader.load` applies schemas/errata.json on top of the upstream
files, so these tests see exactly what the generated code was built from.
Only local references (`#/definitions/...`) occur in the OCPP 1.6 schemas.
"""

import json
from pathlib import Path

from jsonschema.validators import validator_for

from generator.loader import load

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "schemas" / "upstream"
META = ROOT / "schemas"

DRAFT_06 = "http://json-schema.org/draft-06/schema#"

SOURCES = load(UPSTREAM, META)
PATCHED = dict(SOURCES.schemas)  # file name -> patched schema
ACTIONS = tuple(row.name for row in SOURCES.actions)

# (action, "request" | "response") for every message, in a stable order.
MESSAGES = tuple((action, direction) for action in ACTIONS for direction in ("request", "response"))


def schema_file(action, direction):
    return action + (".json" if direction == "request" else "Response.json")


def message_schema(action, direction):
    return PATCHED[schema_file(action, direction)]


def unpatched_schema(file_name):
    """The file exactly as the wheel ships it, before the errata overlay."""
    return json.loads((UPSTREAM / file_name).read_text(encoding="utf-8"))


def resolve(root, node):
    """Follows a local $ref (possibly a chain of them) inside `root`."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("only local references are expected, got %r" % ref)
        target = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def is_draft06(root):
    return root.get("$schema") == DRAFT_06


def reference_validator(schema):
    """A jsonschema validator for the schema's own draft, checking formats."""
    cls = validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


_REFERENCE_VALIDATORS = {}


def reference_for(action, direction):
    key = (action, direction)
    if key not in _REFERENCE_VALIDATORS:
        _REFERENCE_VALIDATORS[key] = reference_validator(message_schema(action, direction))
    return _REFERENCE_VALIDATORS[key]


def format_path(parts):
    """("meterValue", 0, "unit") -> "meterValue[0].unit", the form ValidationError.path uses."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[%d]" % part
        elif out:
            out += "." + part
        else:
            out = part
    return out


def get_at(payload, parts):
    for part in parts:
        payload = payload[part]
    return payload


def parse_path(path):
    """The inverse of format_path for keys without '.' or '[': "a[0].b" -> ("a", 0, "b")."""
    parts = []
    for chunk in path.split(".") if path else ():
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        for index in filter(None, rest.replace("]", "").split("[")) if rest else ():
            parts.append(int(index))
    return tuple(parts)
