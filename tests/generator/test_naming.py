"""Wire names → Python names, checked directly rather than through a flavour.

Each field's Python name comes from generator/naming.py's snake_case, and
the MicroPython flavour derives the same names again at run time (its
engine's snake_case, in generated/micropython/ocpp16/protocol.py): both are
held here to the expected spelling of every property name in the schemas
and of the tricky cases (acronyms, digits, keywords).
"""

import importlib.util
import json
import keyword
from pathlib import Path

import pytest

from generator.build import build_model
from generator.loader import load
from generator.naming import enum_member_name, snake_case

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "schemas" / "upstream"
MICROPYTHON_PROTOCOL = ROOT / "generated" / "micropython" / "ocpp16" / "protocol.py"

# Names that a plain "underscore before each capital" gets wrong.
TRICKY = [
    ("idTag", "id_tag"),
    ("idTagInfo", "id_tag_info"),
    ("csChargingProfiles", "cs_charging_profiles"),
    ("iccid", "iccid"),
    ("EVCommunicationError", "ev_communication_error"),
    ("SuspendedEVSE", "suspended_evse"),
    ("URLValue", "url_value"),
    ("getHTTPResponse", "get_http_response"),
    ("chargePointID", "charge_point_id"),
    ("meterValue2", "meter_value2"),
    ("phase1Voltage", "phase1_voltage"),
    ("A", "a"),
    ("BootNotification", "boot_notification"),
    ("class", "class_"),  # a keyword gets a trailing underscore
    ("type", "type"),  # a builtin does not
]


def schema_property_names():
    names = set()

    def walk(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in sorted(UPSTREAM.glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return sorted(names)


def engine_snake_case():
    """The MicroPython engine's snake_case, run on CPython (the flavour runs there too)."""
    spec = importlib.util.spec_from_file_location("mp_engine_for_naming", MICROPYTHON_PROTOCOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.snake_case


@pytest.fixture(scope="module")
def property_names():
    if not UPSTREAM.exists():
        pytest.skip("run `make schemas` first")
    return schema_property_names()


@pytest.mark.parametrize("wire, python", TRICKY)
def test_snake_case_of_tricky_names(wire, python):
    assert snake_case(wire) == python


@pytest.mark.parametrize("wire, python", [t for t in TRICKY if not keyword.iskeyword(t[0])])
def test_the_micropython_engine_spells_tricky_names_the_same(wire, python):
    # The engine never meets a keyword: the generator refuses such a field.
    assert engine_snake_case()(wire) == python


def test_every_schema_property_name_converts_to_a_plain_lower_case_identifier(property_names):
    assert len(property_names) > 90
    for wire in property_names:
        python = snake_case(wire)
        assert python.isidentifier() and not keyword.iskeyword(python), wire
        assert python == python.lower(), wire
        assert "__" not in python and not python.startswith("_"), wire
        # Only underscores are added: nothing lost, nothing reordered.
        assert python.replace("_", "") == wire.lower(), wire


def test_every_schema_property_name_is_spelled_alike_by_generator_and_engine(property_names):
    engine = engine_snake_case()
    differ = [(w, snake_case(w), engine(w)) for w in property_names if snake_case(w) != engine(w)]
    assert differ == []


def test_fields_of_one_object_keep_distinct_python_names():
    if not UPSTREAM.exists():
        pytest.skip("run `make schemas` first")
    model = build_model(load(UPSTREAM, ROOT / "schemas"))
    for obj in list(model.datatypes) + [message.object for message in model.messages]:
        names = [f.py_name for f in obj.fields]
        assert len(set(names)) == len(names), obj.name
        for f in obj.fields:
            assert f.py_name == snake_case(f.wire_name), (obj.name, f.wire_name)


@pytest.mark.parametrize(
    "value, member",
    [
        ("EVCommunicationError", "ev_communication_error"),
        ("SuspendedEVSE", "suspended_evse"),
        ("SoC", "soc"),
        ("kvarh", "kvarh"),
        ("L1-L2", "l1_l2"),
        ("Current.Import", "current_import"),
        ("ChargePointMaxProfile", "charge_point_max_profile"),
    ],
)
def test_enum_member_names_with_acronyms_and_separators(value, member):
    assert enum_member_name(value) == member
