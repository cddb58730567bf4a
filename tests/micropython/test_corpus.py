"""The CPython flavour's verdicts, decoded values and wire forms, replayed on
real MicroPythons (1.29 and the 1.13 stand-in, source and bytecode) with a
limited heap against the MicroPython flavour."""

import json
import sys

import pytest
from ocpp16 import protocol as cpython_protocol

from . import corpus
from .support import FLAVOUR, HERE, ROOT, TARGET_IDS, TARGETS, micropython, same_value

# The smallest heap the replay needs is about 200 KB (a few certificate
# strings of 5500 characters are read, decoded and re-encoded at once);
# QuecPython leaves about 512 KB to user code.
HEAP = "256k"


@pytest.fixture(scope="module")
def cases():
    if not corpus.SCHEMAS.exists():
        pytest.skip("run `make schemas` first")
    return corpus.build_cases()


@pytest.fixture(scope="module")
def corpus_file(cases, tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    corpus.write_corpus(path, cases)
    return path


@pytest.fixture(scope="module")
def expected(cases):
    # Through JSON, as the MicroPython results come: str enums become their values.
    return [json.loads(json.dumps(corpus.run_case(cpython_protocol, case))) for case in cases]


def _results(stdout):
    lines = stdout.splitlines()
    assert lines and lines[-1] == "DONE", stdout[-2000:]
    return [json.loads(line) for line in lines[:-1]]


def _compare(expected, actual):
    assert len(actual) == len(expected)
    differences = [(e["id"], e, a) for e, a in zip(expected, actual) if not same_value(e, a)]
    assert not differences, "%d cases differ, first: %r" % (len(differences), differences[0])


def test_corpus_covers_every_message_and_every_kind_of_error(cases, expected):
    messages = {(c["action"], c["request"]) for c in cases}
    assert len(messages) == 78
    verdicts = [r["verdict"] for r in expected]
    codes = {v[0] for v in verdicts if v != "valid"}
    assert codes == {
        "TypeConstraintViolation",
        "OccurenceConstraintViolation",
        "PropertyConstraintViolation",
        "FormationViolation",
    }
    rules = {v[2].split(" ")[0] for v in verdicts if v != "valid"}
    for rule in (
        "required",
        "type",
        "maxLength",
        "enum",
        "format",
        "additionalProperties",
        "minItems",
        "multipleOf",
    ):
        assert rule in rules, rule
    assert any("[" in v[1] and "." in v[1] for v in verdicts if v != "valid"), (
        "no nested error path"
    )
    # Every drawn payload is valid, and so many mutations are not.
    assert all(r["verdict"] == "valid" for r, c in zip(expected, cases) if " " not in c["id"])
    assert sum(v != "valid" for v in verdicts) > 700


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_micropython_gives_cpythons_verdicts_values_and_wire_forms(corpus_file, expected, target):
    arguments = [HERE / "mp_corpus.py", target.flavour_parent(), corpus_file]
    completed = micropython(arguments, heap=HEAP, target=target)
    assert completed.returncode == 0, completed.stderr[-2000:] + completed.stdout[-500:]
    _compare(expected, _results(completed.stdout))


def test_the_micropython_flavour_also_runs_on_cpython(corpus_file, expected):
    import subprocess

    completed = subprocess.run(
        [sys.executable, str(HERE / "mp_corpus.py"), str(FLAVOUR), str(corpus_file)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    _compare(expected, _results(completed.stdout))
