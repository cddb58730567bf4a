"""The generator: determinism, golden output, loud failures, naming."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.__main__ import render_all
from generator.loader import SchemaError
from generator.naming import enum_member_name, snake_case

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "generator" / "fixtures" / "mini"
GOLDEN = ROOT / "tests" / "generator" / "golden" / "mini"
UPSTREAM = ROOT / "schemas" / "upstream"


def generate_in_subprocess(out: Path, hash_seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    subprocess.run(
        [sys.executable, "-m", "generator", "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def tree(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.skipif(not UPSTREAM.exists(), reason="run `make schemas` first")
def test_output_is_identical_under_different_hash_seeds_and_matches_committed(tmp_path):
    generate_in_subprocess(tmp_path / "a", "0")
    generate_in_subprocess(tmp_path / "b", "4242")
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert first == second
    committed = tree(ROOT / "generated")
    assert first == committed, "generated/ is stale: run `make generate`"


def test_mini_fixture_matches_golden_files():
    files = render_all(MINI / "schemas", MINI)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        for rel, text in files.items():
            path = GOLDEN / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8")
        for p in GOLDEN.rglob("*")
        if p.is_file()
    }
    assert sorted(files) == sorted(expected)
    for rel in files:
        assert files[rel] == expected[rel], (
            "%s differs from its golden file (UPDATE_GOLDEN=1 after review)" % rel
        )


def test_every_python_file_carries_the_do_not_edit_header_and_no_timestamp():
    files = render_all(MINI / "schemas", MINI)
    for rel, text in files.items():
        if rel.endswith(".py"):
            assert text.startswith("# @generated"), rel
            assert "DO NOT EDIT" in text.splitlines()[0], rel
            for stamp in ("2025", "2026", "2027", ":%d" % 0):
                assert stamp not in text.splitlines()[0], rel


def mini_copy(tmp_path: Path, mutate) -> Path:
    target = tmp_path / "mini"
    (target / "schemas").mkdir(parents=True)
    for name in ("actions.json", "errata.json", "schemas.lock.json"):
        (target / name).write_bytes((MINI / name).read_bytes())
    for path in (MINI / "schemas").glob("*.json"):
        document = json.loads(path.read_text())
        mutate(path.name, document)
        (target / "schemas" / path.name).write_text(json.dumps(document))
    return target


@pytest.mark.parametrize(
    "keyword, value, pointer",
    [
        ("pattern", "^[A-Z]+$", "/properties/stationId"),
        ("minLength", 1, "/properties/stationId"),
        ("oneOf", [{"type": "string"}], "/properties/stationId"),
    ],
)
def test_an_unknown_keyword_fails_loudly_naming_file_and_path(tmp_path, keyword, value, pointer):
    def mutate(name, document):
        if name == "Ping.json":
            document["properties"]["stationId"][keyword] = value

    folder = mini_copy(tmp_path, mutate)
    with pytest.raises(SchemaError) as caught:
        render_all(folder / "schemas", folder)
    message = str(caught.value)
    assert "Ping.json#" + pointer in message
    assert keyword in message


def test_an_unknown_format_fails_loudly(tmp_path):
    def mutate(name, document):
        if name == "Ping.json":
            document["properties"]["stationId"]["format"] = "email"

    folder = mini_copy(tmp_path, mutate)
    with pytest.raises(SchemaError, match="Ping.json#/properties/stationId: format 'email'"):
        render_all(folder / "schemas", folder)


def test_an_unresolved_reference_fails_loudly(tmp_path):
    def mutate(name, document):
        if name == "Ping.json":
            document["properties"]["readings"]["items"]["properties"]["phase"] = {
                "$ref": "#/definitions/Nope"
            }

    folder = mini_copy(tmp_path, mutate)
    with pytest.raises(SchemaError, match="unresolved reference #/definitions/Nope"):
        render_all(folder / "schemas", folder)


def test_generated_mini_package_applies_the_errata_overlay_and_reports_paths(tmp_path):
    files = render_all(MINI / "schemas", MINI)
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    program = """
from ocpp16 import protocol, enums
try:
    protocol.validate_response("Ping", {"status": "Accepted", "interval": -1})
except protocol.ValidationError as e:
    print(e.code, e.path, e.rule)
try:
    readings = [{"value": 0.3}, {"value": 1, "phase": "L4"}]
    protocol.validate_request("Ping", {"stationId": "a", "readings": readings})
except protocol.ValidationError as e:
    print(e.code, e.path, e.rule)
print(sorted(m.value for m in enums.Phase))
"""
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "cpython"))
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == [
        "PropertyConstraintViolation interval minimum 0",
        "PropertyConstraintViolation readings[1].phase enum",
        "['L1', 'L2', 'L3']",
    ]


@pytest.mark.parametrize(
    "wire, python",
    [
        ("chargePointVendor", "charge_point_vendor"),
        ("idTagInfo", "id_tag_info"),
        ("iccid", "iccid"),
        ("csChargingProfiles", "cs_charging_profiles"),
        ("chargeBoxSerialNumber", "charge_box_serial_number"),
    ],
)
def test_snake_case(wire, python):
    assert snake_case(wire) == python


@pytest.mark.parametrize(
    "value, member",
    [
        ("kWh", "kwh"),
        ("SuspendedEVSE", "suspended_evse"),
        ("L1-N", "l1_n"),
        ("Energy.Active.Import.Register", "energy_active_import_register"),
        ("DeAuthorized", "de_authorized"),
    ],
)
def test_enum_member_names(value, member):
    assert enum_member_name(value) == member


def _depth_model(additional_inside):
    from generator import model as m

    inner = m.ObjectType(
        "Inner", (m.Field("v", "v", m.TypeRef(kind=m.STRING), True),), additional_inside, "t"
    )
    items = m.TypeRef(kind=m.ARRAY, item=m.TypeRef(kind=m.OBJECT, object="Inner"))
    payload = m.ObjectType("XRequest", (m.Field("list", "list", items, False),), False, "t")
    empty = m.ObjectType("XResponse", (), False, "t")
    action = m.Action(
        "X",
        "x",
        "ChargePoint",
        "Core",
        "1",
        m.Message("X", True, "X", payload, "X.json"),
        m.Message("X", False, "X", empty, "XResponse.json"),
    )
    return m.Model((action,), (), (inner,), "test")


def test_payload_depth_counts_objects_and_arrays_and_gives_up_on_open_objects():
    # payload object > list array > Inner object
    assert _depth_model(False).payload_depth() == 3
    assert _depth_model(True).payload_depth() is None


@pytest.mark.parametrize(
    "content, reason",
    [
        (b'{"type": "object", "properties": {', "not valid JSON: Expecting property name"),
        (b'{"title": "caf\xe9"}', "not UTF-8: byte 0xe9"),
        (b"[]", "the top level is not a JSON object"),
    ],
    ids=["truncated", "latin-1", "array"],
)
def test_a_schema_file_that_does_not_parse_is_named_in_one_line(tmp_path, content, reason):
    folder = mini_copy(tmp_path, lambda name, document: None)
    (folder / "schemas" / "PingResponse.json").write_bytes(content)
    with pytest.raises(SchemaError, match="^PingResponse.json: " + reason):
        render_all(folder / "schemas", folder)
    # The command says it in one line on stderr and exits 2, no traceback.
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "--schemas", str(folder / "schemas")]
        + ["--meta", str(folder), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("generator: PingResponse.json: " + reason)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not UPSTREAM.exists(), reason="run `make schemas` first")
def test_rendering_changes_no_state():
    # Templates only read: the flavour objects (and the frozen model they
    # hold) are the same after rendering as before, so output cannot
    # depend on the order in which templates render.
    import pickle

    from generator.__main__ import render_flavour
    from generator.build import build_model
    from generator.flavours import FLAVOURS
    from generator.loader import load
    from generator.render import environment

    model = build_model(load(UPSTREAM, ROOT / "schemas"))
    for flavour_class in FLAVOURS:
        flavour = flavour_class(model)
        before = pickle.dumps(flavour)
        first = render_flavour(flavour, environment())
        assert pickle.dumps(flavour) == before, flavour.name
        assert render_flavour(flavour, environment()) == first
