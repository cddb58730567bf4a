"""The pinned schemas, their lock, the action table and the errata overlay."""

import copy
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from generator import schemas

ROOT = Path(__file__).resolve().parents[2]
META = ROOT / "schemas"
LOCK = schemas.load_lock(META / "schemas.lock.json")
ACTIONS = json.loads((META / "actions.json").read_text(encoding="utf-8"))["actions"]
PATCHES = json.loads((META / "errata.json").read_text(encoding="utf-8"))["patches"]

PROFILES = {
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
    "Security",
}


@pytest.fixture(scope="module")
def upstream():
    if not schemas.UPSTREAM.is_dir():
        pytest.fail("schemas/upstream is missing: run `make schemas` first")
    return schemas.UPSTREAM


def load_upstream(name):
    return json.loads((schemas.UPSTREAM / name).read_text(encoding="utf-8"))


def pointer_parts(pointer):
    assert pointer.startswith("/"), pointer
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def step(node, part):
    if isinstance(node, list):
        assert part.isdigit(), "list index %r" % part
        return node[int(part)]
    return node[part]


# --- the lock ---------------------------------------------------------------


def test_lock_pins_the_wheel():
    assert LOCK["package"] == "ocpp"
    assert LOCK["version"] == "2.1.0"
    assert LOCK["wheel"] == "ocpp-2.1.0-py3-none-any.whl"
    assert LOCK["wheel_sha256"] == (
        "0e452c14c21e2995431334ce1513d5ad8246ecb5c8fb90ed4143e2ecdd9e2845"
    )
    assert LOCK["member_prefix"] == "ocpp/v16/schemas/"


def test_lock_covers_78_files_two_per_action():
    names = set(LOCK["files"])
    assert len(names) == 78
    assert list(LOCK["files"]) == sorted(LOCK["files"])
    actions = {n[: -len(".json")] for n in names if not n.endswith("Response.json")}
    assert len(actions) == 39
    assert names == {a + ".json" for a in actions} | {a + "Response.json" for a in actions}


def test_upstream_matches_lock(upstream):
    schemas.verify_folder(upstream, LOCK)


@pytest.mark.parametrize(
    "damage, named",
    [
        (lambda d: (d / "Heartbeat.json").write_bytes(b"{}"), "Heartbeat.json"),
        (lambda d: (d / "Reset.json").unlink(), "Reset.json"),
        (lambda d: (d / "Surprise.json").write_text("{}"), "Surprise.json"),
        (lambda d: (d / "nested").mkdir(), "nested"),
    ],
    ids=["changed", "missing", "extra", "folder"],
)
def test_damaged_copy_is_rejected_naming_the_file(upstream, tmp_path, damage, named):
    copy_dir = tmp_path / "upstream"
    shutil.copytree(upstream, copy_dir)
    schemas.verify_folder(copy_dir, LOCK)  # the undamaged copy passes
    damage(copy_dir)
    with pytest.raises(schemas.SchemaVerificationError) as caught:
        schemas.verify_folder(copy_dir, LOCK)
    message = str(caught.value)
    assert named in message
    assert len(message.splitlines()) == 1


def test_changed_file_message_shows_both_hashes(upstream, tmp_path):
    copy_dir = tmp_path / "upstream"
    shutil.copytree(upstream, copy_dir)
    (copy_dir / "Authorize.json").write_bytes(b"tampered")
    with pytest.raises(schemas.SchemaVerificationError) as caught:
        schemas.verify_folder(copy_dir, LOCK)
    assert schemas.sha256_bytes(b"tampered") in str(caught.value)
    assert LOCK["files"]["Authorize.json"] in str(caught.value)


def make_wheel(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_install_refuses_a_wheel_that_differs_from_the_lock(tmp_path):
    prefix = "pkg/schemas/"
    lock = {
        "wheel": "fake.whl",
        "files": {"A.json": schemas.sha256_bytes(b"{}")},
    }
    wheel = tmp_path / "fake.whl"
    make_wheel(wheel, {prefix + "A.json": b"{ }", "pkg/other.py": b""})
    members = schemas.read_members(wheel, prefix)
    assert set(members) == {"A.json"}
    target = tmp_path / "upstream"
    with pytest.raises(schemas.SchemaVerificationError, match="A.json"):
        schemas.install(members, lock, target)
    assert not target.exists()


def test_install_replaces_a_stale_folder(tmp_path):
    lock = {"wheel": "fake.whl", "files": {"A.json": schemas.sha256_bytes(b"{}")}}
    target = tmp_path / "upstream"
    target.mkdir()
    (target / "Old.json").write_text("{}")
    schemas.install({"A.json": b"{}"}, lock, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upstream"]
    assert sorted(p.name for p in target.iterdir()) == ["A.json"]


def test_read_members_rejects_nested_members(tmp_path):
    wheel = tmp_path / "fake.whl"
    make_wheel(wheel, {"pkg/schemas/sub/A.json": b"{}"})
    with pytest.raises(schemas.SchemaVerificationError, match="sub/A.json"):
        schemas.read_members(wheel, "pkg/schemas/")


# --- actions.json -------------------------------------------------------------


def test_actions_match_schema_files_one_to_one():
    names = [row["name"] for row in ACTIONS]
    assert len(names) == 39
    assert names == sorted(set(names))
    expected = set()
    for name in names:
        expected |= {name + ".json", name + "Response.json"}
    assert expected == set(LOCK["files"])


def test_action_rows_are_well_formed():
    for row in ACTIONS:
        assert set(row) == {"name", "initiator", "profile", "section"}, row
        assert row["initiator"] in {"ChargePoint", "CentralSystem", "Both"}, row
        assert row["profile"] in PROFILES, row
        assert row["section"], row


def test_action_table_shape():
    by_profile = {}
    for row in ACTIONS:
        by_profile.setdefault(row["profile"], []).append(row["name"])
    assert {p: len(n) for p, n in by_profile.items()} == {
        "Core": 16,
        "FirmwareManagement": 4,
        "LocalAuthListManagement": 2,
        "Reservation": 2,
        "SmartCharging": 3,
        "RemoteTrigger": 1,
        "Security": 11,
    }
    both = [row["name"] for row in ACTIONS if row["initiator"] == "Both"]
    assert both == ["DataTransfer"]
    # Chapter 4 of the spec is "initiated by Charge Point", chapter 5 "by Central System".
    for row in ACTIONS:
        if row["profile"] != "Security" and row["initiator"] != "Both":
            chapter = "4." if row["initiator"] == "ChargePoint" else "5."
            assert row["section"].startswith(chapter), row


# --- errata.json --------------------------------------------------------------


def test_errata_patches_are_well_formed():
    ids = [patch["id"] for patch in PATCHES]
    assert len(ids) == len(set(ids))
    for patch in PATCHES:
        assert patch["op"] in {"add", "remove", "replace"}, patch["id"]
        assert ("value" in patch) == (patch["op"] != "remove"), patch["id"]
        assert patch["schema"] in LOCK["files"], patch["id"]
        assert "errata sheet" in patch["cites"], patch["id"]
        assert patch["why"].strip(), patch["id"]


def apply(document, patch):
    """Apply one patch the way RFC 6902 does, asserting its target is where it should be."""
    parts = pointer_parts(patch["path"])
    parent = document
    for part in parts[:-1]:
        parent = step(parent, part)
    last = parts[-1]
    if patch["op"] == "add":
        if isinstance(parent, list):
            assert last == "-" or int(last) <= len(parent), patch["id"]
        else:
            assert isinstance(parent, dict) and last not in parent, patch["id"]
    else:
        step(parent, last)  # must exist for remove and replace
    if patch["op"] == "remove":
        del parent[int(last) if isinstance(parent, list) else last]
    elif isinstance(parent, list) and patch["op"] == "add":
        parent.insert(len(parent) if last == "-" else int(last), patch["value"])
    else:
        parent[int(last) if isinstance(parent, list) else last] = patch["value"]


def patched(name):
    document = load_upstream(name)
    for patch in PATCHES:
        if patch["schema"] == name:
            apply(document, patch)
    return document


@pytest.mark.parametrize("patch", PATCHES, ids=[p["id"] for p in PATCHES])
def test_each_patch_applies_to_its_schema(upstream, patch):
    document = load_upstream(patch["schema"])
    before = copy.deepcopy(document)
    apply(document, patch)
    assert document != before


def unit_enum(document, *path):
    node = document
    for key in path:
        node = node[key]
    return node["items"]["properties"]["sampledValue"]["items"]["properties"]["unit"]["enum"]


def test_patched_meter_value_units_agree_and_keep_both_celsius(upstream):
    meter = unit_enum(patched("MeterValues.json"), "properties", "meterValue")
    stop = unit_enum(patched("StopTransaction.json"), "properties", "transactionData")
    assert meter == stop
    # OCPP 1.6 errata 3.84: Frequency samples are in Hertz; accepted in both.
    assert "Hertz" in meter
    # OCPP-J errata 2.1: a Central System accepts both spellings.
    assert {"Celcius", "Celsius"} <= set(meter)


# The OCPP-J errata sheet's schema fixes that the pinned wheel already carries,
# so errata.json has no patch for them; these fail if a new pin loses one.


def test_stop_transaction_reason_is_optional(upstream):
    assert "reason" not in patched("StopTransaction.json")["required"]


def test_integer_fields_fixed_by_the_errata(upstream):
    boot = patched("BootNotificationResponse.json")["properties"]
    assert boot["interval"]["type"] == "integer"
    firmware = patched("UpdateFirmware.json")["properties"]
    assert firmware["retries"]["type"] == "integer"
    assert firmware["retryInterval"]["type"] == "integer"


def test_send_local_list_id_tag_info_properties(upstream):
    info = patched("SendLocalList.json")["properties"]["localAuthorizationList"]["items"][
        "properties"
    ]["idTagInfo"]
    assert set(info["properties"]) == {"expiryDate", "parentIdTag", "status"}
    assert not {"expiryDate", "parentIdTag"} & set(info)


def test_every_object_forbids_additional_properties(upstream):
    loose = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and node.get("additionalProperties") is not False:
                loose.append(where)
            for key, value in node.items():
                walk(value, where + "/" + key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, "%s/%d" % (where, index))

    for name in LOCK["files"]:
        walk(patched(name), name + "#")
    assert loose == []
