"""The generated validators against jsonschema 4.26.0, on valid and one-fault payloads.

Both sides read the same patched schemas. They must agree on valid/invalid
except where intended_differences.py explains the disagreement; on a
one-fault payload ours must also name the mutated field and the OCPP-J code
for the kind of fault, and jsonschema must complain about the same place.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from intended_differences import explained_ours, unexplained_reference_errors
from ocpp16 import protocol
from payload_mutations import KIND_NAMES, every_fixed_mutation, mutations
from payload_strategies import full_payload, payloads
from wire_schemas import MESSAGES, format_path, message_schema, reference_for

MESSAGE_IDS = ["%s-%s" % message for message in MESSAGES]


def our_error(action, direction, payload):
    validate = protocol.validate_request if direction == "request" else protocol.validate_response
    try:
        validate(action, payload)
    except protocol.ValidationError as error:
        return error
    return None


def reference_errors(action, direction, payload):
    return list(reference_for(action, direction).iter_errors(payload))


def describe(errors):
    return ["%s at %s: %s" % (e.validator, list(e.absolute_path), e.message[:120]) for e in errors]


def check_mutation(action, direction, mutation):
    """Ours names the place and code; jsonschema agrees that (and where) it is broken."""
    error = our_error(action, direction, mutation.payload)
    assert error is not None, "ours accepted a %s mutation at %s" % (
        mutation.kind,
        format_path(mutation.parts),
    )
    assert (error.code, error.path) == (mutation.code, format_path(mutation.parts)), str(error)
    if mutation.rule is not None:
        assert error.rule == mutation.rule
    theirs = unexplained_reference_errors(reference_errors(action, direction, mutation.payload))
    if explained_ours(error, mutation.payload):
        assert theirs == [], describe(theirs)
        return
    assert theirs, "jsonschema accepted what ours refused: %s" % error
    for reference_error in theirs:
        # required/additionalProperties point at the object, the rest at the value.
        assert tuple(reference_error.absolute_path) in (mutation.parts, mutation.parts[:-1]), describe(theirs)


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
@settings(max_examples=examples(2))
@given(data=st.data())
def test_both_accept_valid_payloads(action, direction, data):
    payload = data.draw(payloads(action, direction), label="payload")
    assert our_error(action, direction, payload) is None
    assert unexplained_reference_errors(reference_errors(action, direction, payload)) == []


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
@settings(max_examples=examples(2))
@given(data=st.data())
def test_both_refuse_one_fault_payloads_at_the_same_place(action, direction, data):
    root = message_schema(action, direction)
    mutation = data.draw(mutations(root, payloads(action, direction)), label="mutation")
    check_mutation(action, direction, mutation)


@pytest.mark.parametrize("action,direction", MESSAGES, ids=MESSAGE_IDS)
def test_every_fault_kind_at_every_site_of_a_full_payload(action, direction):
    root = message_schema(action, direction)
    payload = full_payload(root)
    assert our_error(action, direction, payload) is None
    assert unexplained_reference_errors(reference_errors(action, direction, payload)) == []
    failures = []
    for mutation in every_fixed_mutation(root, payload):
        try:
            check_mutation(action, direction, mutation)
        except AssertionError as failure:
            failures.append("%s at %r: %s" % (mutation.kind, format_path(mutation.parts), failure))
    assert failures == []


def test_the_sweep_reaches_every_fault_kind():
    seen = set()
    for action, direction in MESSAGES:
        root = message_schema(action, direction)
        seen.update(m.kind for m in every_fixed_mutation(root, full_payload(root)))
    assert seen == set(KIND_NAMES)
