"""Reads the schema folder, the action table and the errata overlay.

Everything is read in sorted order and parsed into plain JSON values, so
what follows never depends on directory listing order or hash seeds.
"""

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple


class SchemaError(Exception):
    """A schema the generator cannot turn into code; names file and path."""

    def __init__(self, schema_file: str, pointer: Optional[str], message: str):
        # pointer None: the file as a whole (it does not parse).
        where = schema_file if pointer is None else "%s#%s" % (schema_file, pointer or "/")
        super().__init__("%s: %s" % (where, message))
        self.schema_file = schema_file
        self.pointer = pointer


@dataclass(frozen=True)
class ActionRow:
    name: str
    initiator: str
    profile: str
    section: str


@dataclass(frozen=True)
class Sources:
    schemas: Tuple[Tuple[str, Any], ...]  # (file name, parsed JSON), sorted by name
    actions: Tuple[ActionRow, ...]
    errata: Tuple[str, ...]  # ids of the patches applied
    source: str


INITIATORS = ("ChargePoint", "CentralSystem", "Both")
PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
    "Security",
)


def load(schema_dir: Path, meta_dir: Path) -> Sources:
    schemas = {}
    for path in sorted(schema_dir.glob("*.json")):
        schemas[path.name] = _parse(path)
    if not schemas:
        raise SystemExit("no schemas in %s: run `make schemas` first" % schema_dir.as_posix())
    actions = _load_actions(meta_dir / "actions.json")
    errata = _load_json(meta_dir / "errata.json").get("patches", [])
    applied = []
    for patch in errata:
        target = patch["schema"]
        if target not in schemas:
            raise SchemaError(target, patch["path"], "errata patch for a missing file")
        schemas[target] = apply_patch(schemas[target], patch, target)
        applied.append(patch["id"])
    lock = _load_json(meta_dir / "schemas.lock.json")
    source = "%s %s" % (
        lock.get("package", lock.get("source", {}).get("package", "?")),
        lock.get("version", lock.get("source", {}).get("version", "?")),
    )
    _check_actions_match(actions, schemas)
    return Sources(
        schemas=tuple(sorted(schemas.items())),
        actions=actions,
        errata=tuple(applied),
        source=source,
    )


def _parse(path: Path) -> Any:
    """One JSON object from a file. A file that does not parse stops the
    generator with one line naming it and where parsing stopped."""
    try:
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle)
    except json.JSONDecodeError as error:
        raise SchemaError(
            path.name,
            None,
            "not valid JSON: %s at line %d column %d" % (error.msg, error.lineno, error.colno),
        ) from None
    except UnicodeDecodeError as error:
        raise SchemaError(
            path.name,
            None,
            "not UTF-8: byte 0x%02x at offset %d" % (error.object[error.start], error.start),
        ) from None
    if not isinstance(document, dict):
        raise SchemaError(path.name, None, "the top level is not a JSON object")
    return document


def _load_json(path: Path) -> Dict[str, Any]:
    return _parse(path)


def _load_actions(path: Path) -> Tuple[ActionRow, ...]:
    rows = []
    for row in _load_json(path)["actions"]:
        if row["initiator"] not in INITIATORS:
            raise SystemExit(
                "%s: %s has unknown initiator %r" % (path, row["name"], row["initiator"])
            )
        if row["profile"] not in PROFILES:
            raise SystemExit("%s: %s has unknown profile %r" % (path, row["name"], row["profile"]))
        rows.append(
            ActionRow(row["name"], row["initiator"], row["profile"], row.get("section", ""))
        )
    return tuple(sorted(rows, key=lambda r: r.name))


def _check_actions_match(actions: Tuple[ActionRow, ...], schemas: Dict[str, Any]) -> None:
    expected = set()
    for row in actions:
        expected.add(row.name + ".json")
        expected.add(row.name + "Response.json")
    present = set(schemas)
    if expected != present:
        missing = sorted(expected - present)
        extra = sorted(present - expected)
        raise SystemExit(
            "schemas and actions.json disagree: missing schema files %s, files without an action %s"
            % (missing, extra)
        )


def _pointer_parts(pointer: str) -> List[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError("JSON Pointer must start with '/': %r" % pointer)
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def apply_patch(document: Any, patch: Dict[str, Any], schema_file: str) -> Any:
    """Applies one RFC 6902-style add/remove/replace and returns a new document."""
    op = patch["op"]
    parts = _pointer_parts(patch["path"])
    if not parts:
        raise SchemaError(schema_file, patch["path"], "errata patch may not replace the root")
    result = copy.deepcopy(document)
    parent = result
    for part in parts[:-1]:
        parent = _step(parent, part, schema_file, patch["path"])
    last = parts[-1]
    if isinstance(parent, list):
        if op == "add" and last == "-":
            parent.append(patch["value"])
            return result
        index = int(last)
        if op == "add":
            parent.insert(index, patch["value"])
        elif op == "remove":
            del parent[index]
        elif op == "replace":
            parent[index] = patch["value"]
        else:
            raise SchemaError(schema_file, patch["path"], "unknown errata op %r" % op)
        return result
    if op in ("remove", "replace") and last not in parent:
        raise SchemaError(schema_file, patch["path"], "errata patch target does not exist")
    if op == "remove":
        del parent[last]
    elif op in ("add", "replace"):
        parent[last] = patch["value"]
    else:
        raise SchemaError(schema_file, patch["path"], "unknown errata op %r" % op)
    return result


def _step(node: Any, part: str, schema_file: str, pointer: str) -> Any:
    try:
        if isinstance(node, list):
            return node[int(part)]
        return node[part]
    except (KeyError, IndexError, ValueError, TypeError):
        raise SchemaError(schema_file, pointer, "errata patch path does not exist") from None
