"""One-fault mutations of valid payloads, each with the error it must cause.

A mutation breaks exactly one rule at one place, so the generated validator
must report exactly that place (`parts`, formatted like ValidationError.path)
with the OCPP-J code the kind calls for. Each kind offers a Hypothesis
strategy for its bad value and a list of fixed bad values, so the same kinds drive
both the random tests and the exhaustive every-site sweep.
"""

import copy
from dataclasses import dataclass
from typing import Any, Callable, Tuple

from hypothesis import strategies as st
from payload_strategies import date_times
from wire_schemas import is_draft06, resolve

TYPE = "TypeConstraintViolation"
OCCURENCE = "OccurenceConstraintViolation"  # the 1.6 wire spelling
PROPERTY = "PropertyConstraintViolation"
FORMATION = "FormationViolation"  # the 1.6 wire spelling


@dataclass(frozen=True)
class Site:
    """A value present in a payload, with the (resolved) schema node that governs it."""

    parts: Tuple[Any, ...]
    node: dict
    value: Any
    draft06: bool


def sites(root, payload):
    """Every value in payload, the payload itself first, in document order."""
    draft06 = is_draft06(root)
    found = []

    def walk(node, value, parts):
        node = resolve(root, node)
        found.append(Site(parts, node, value, draft06))
        if node.get("type") == "object":
            for name, child in node.get("properties", {}).items():
                if name in value:
                    walk(child, value[name], parts + (name,))
        elif node.get("type") == "array":
            for index, item in enumerate(value):
                walk(node["items"], item, parts + (index,))

    walk(root, payload, ())
    return found


@dataclass(frozen=True)
class Mutation:
    kind: str
    parts: Tuple[Any, ...]  # where the validator must point
    payload: Any
    code: str
    rule: Any  # the ValidationError.rule expected, or None where any wording will do


@dataclass(frozen=True)
class Kind:
    name: str
    code: str
    applies: Callable[[Site], bool]
    fixed_values: Callable[[Site], Any]  # Site -> a list of bad values
    rule: Callable[[Site, Any], str]
    shape: str = "replace"  # replace | remove | add
    more_values: Any = None  # Site -> strategy of further bad values, beyond the fixed ones

    def bad_values(self, site):
        fixed = st.sampled_from(self.fixed_values(site))
        return fixed if self.more_values is None else st.one_of(fixed, self.more_values(site))

    def apply(self, payload, site, bad):
        if self.shape == "replace":
            return site.parts, _replaced(payload, site.parts, bad)
        mutated = copy.deepcopy(payload)
        target = mutated
        for part in site.parts:
            target = target[part]
        if self.shape == "remove":
            del target[bad]
            return site.parts + (bad,), mutated
        key, value = bad
        target[key] = value
        return site.parts + (key,), mutated


def _replaced(payload, parts, value):
    if not parts:
        return value
    mutated = copy.deepcopy(payload)
    target = mutated
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return mutated


def _kind_of(site):
    return "enum" if "enum" in site.node else site.node["type"]


def _json_type(site):
    return "string" if _kind_of(site) == "enum" else site.node["type"]


def _wrong_type_values(site):
    """Values of a JSON type the field does not allow."""
    wrong = {
        "string": [0, 1.5, True, [], {}],
        "integer": ["1", True, [], {}, 1.5],
        "number": ["1.5", False, [], {}],
        "boolean": [0, 1, "true", [], {}],
        "object": ["{}", 1, [], True],
        "array": ["[]", 1, {}, False],
    }[_json_type(site)]
    if _json_type(site) == "integer" and not site.draft06:
        wrong = wrong + [2.0]  # only draft-06 counts 2.0 as an integer
    return wrong


def _is_format(fmt):
    return lambda site: _kind_of(site) == "string" and site.node.get("format") == fmt


# Strings that are not RFC 3339 date-times, each for a different reason.
BAD_DATE_TIMES = (
    "2021-13-01T00:00:00Z",  # month 13
    "2021-00-10T00:00:00Z",  # month 0
    "2021-02-29T00:00:00Z",  # not a leap year
    "1900-02-29T00:00:00Z",  # century, not a leap year
    "2021-04-31T00:00:00Z",  # April has 30 days
    "2021-01-00T00:00:00Z",  # day 0
    "0000-01-01T00:00:00Z",  # year 0
    "2021-01-01T24:00:00Z",  # hour 24
    "2021-01-01T00:60:00Z",  # minute 60
    "2021-01-01T00:00:60Z",  # leap second
    "2021-01-01T00:00:00",  # no offset
    "2021-01-01 00:00:00Z",  # space for T
    "2021-01-01T00:00:00.Z",  # empty fraction
    "2021-01-01T00:00:00+24:00",  # offset hour 24
    "2021-01-01T00:00:00+0100",  # offset without colon
    "2021-01-01T00:00Z",  # no seconds
    "2021-1-01T00:00:00Z",  # one-digit month
    "2021-01-01T00:00:00ZZ",  # trailing garbage
    "2021-01-01",  # date only
    "",
    "2021-01-01T00:00:00Z\n",  # trailing newline: intended difference, see intended_differences
)

BAD_URIS = ("", "no-scheme", "1http://x", "http://exa mple.com", ":x", "http://x\n", "ht tp://x")


def _not_multiples():
    """k/10 + j/100 with j in 1..9: never a multiple of 0.1.

    The range stops at 10**5, where the generated tolerance still holds;
    larger magnitudes and further digits are in test_known_validator_bugs.py.
    """
    return st.builds(
        lambda k, j: round(k * 0.1 + j * 0.01, 2),
        st.integers(-(10**6), 10**6),
        st.integers(1, 9),
    )


KINDS = (
    Kind(
        "wrong_type",
        TYPE,
        lambda site: site.parts != (),
        _wrong_type_values,
        lambda site, bad: "type " + _json_type(site),
    ),
    Kind(
        "null",
        TYPE,
        lambda site: site.parts != (),
        lambda site: [None],
        lambda site, bad: "type " + _json_type(site),
    ),
    Kind(
        "missing_required",
        OCCURENCE,
        lambda site: _kind_of(site) == "object" and bool(site.node.get("required")),
        lambda site: list(site.node["required"]),
        lambda site, bad: "required",
        shape="remove",
    ),
    Kind(
        "extra_property",
        PROPERTY,
        lambda site: _kind_of(site) == "object",
        lambda site: [("vendorExtension", 1), ("ñ", None), ("a.b", {})],
        lambda site, bad: "additionalProperties",
        shape="add",
        more_values=lambda site: st.tuples(
            st.text(min_size=1, max_size=12).filter(
                lambda key: key not in site.node.get("properties", {})
            ),
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
        ),
    ),
    Kind(
        "over_max_length",
        PROPERTY,
        lambda site: _kind_of(site) == "string" and "maxLength" in site.node,
        lambda site: ["é" * (site.node["maxLength"] + 1), "x" * (site.node["maxLength"] + 1)],
        lambda site, bad: "maxLength %d" % site.node["maxLength"],
        more_values=lambda site: st.builds(
            lambda head, fill: (head + fill * (site.node["maxLength"] + 1))[
                : site.node["maxLength"] + 1
            ],
            st.text(max_size=8),
            st.characters(),
        ),
    ),
    Kind(
        "bad_enum",
        PROPERTY,
        lambda site: _kind_of(site) == "enum",
        lambda site: [site.node["enum"][0].lower(), site.node["enum"][-1] + " ", ""],
        lambda site, bad: "enum",
        more_values=lambda site: st.one_of(
            st.sampled_from(site.node["enum"]).map(lambda v: v.swapcase()),
            st.sampled_from(site.node["enum"]).map(lambda v: v + " "),
            st.text(max_size=10),
        ).filter(lambda v: v not in site.node["enum"]),
    ),
    Kind(
        "bad_date_time",
        PROPERTY,
        _is_format("date-time"),
        lambda site: list(BAD_DATE_TIMES),
        lambda site, bad: "format date-time",
        # A valid one cut short: loses its offset, seconds or more.
        more_values=lambda site: date_times().flatmap(
            lambda good: st.integers(0, 19).map(lambda n: good[:n])
        ),
    ),
    Kind(
        "bad_uri",
        PROPERTY,
        _is_format("uri"),
        lambda site: list(BAD_URIS),
        lambda site, bad: "format uri",
    ),
    Kind(
        "not_multiple",
        PROPERTY,
        lambda site: _kind_of(site) == "number" and site.node.get("multipleOf") == 0.1,
        lambda site: [7.15, 0.01, -0.05, 22000.05],
        lambda site, bad: "multipleOf 0.1",
        more_values=lambda site: _not_multiples(),
    ),
    # A 1..* field given none: OCPP-J counts cardinality as an occurrence
    # constraint, whatever JSON Schema calls it.
    Kind(
        "too_few_items",
        OCCURENCE,
        lambda site: _kind_of(site) == "array" and site.node.get("minItems", 0) > 0,
        lambda site: [site.value[: site.node["minItems"] - 1]],
        lambda site, bad: "minItems %d" % site.node["minItems"],
    ),
    Kind(
        "not_object",
        FORMATION,
        lambda site: site.parts == (),
        lambda site: [[], [site.value], "{}", 0, 1.5, True, None],
        lambda site, bad: None,  # the wording of this rule is not part of the interface
    ),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)


def mutation(kind, site, payload, bad):
    parts, mutated = kind.apply(payload, site, bad)
    return Mutation(kind.name, parts, mutated, kind.code, kind.rule(site, bad))


@st.composite
def mutations(draw, root, valid_payloads):
    """A valid payload with one fault in it; the kind is drawn among those that fit."""
    payload = draw(valid_payloads, label="valid payload")
    choices = [
        (kind, site) for site in sites(root, payload) for kind in KINDS if kind.applies(site)
    ]
    kind_name = draw(st.sampled_from(sorted({kind.name for kind, _ in choices})), label="kind")
    kind, site = draw(st.sampled_from([c for c in choices if c[0].name == kind_name]), label="site")
    return mutation(kind, site, payload, draw(kind.bad_values(site), label="bad value"))


def every_fixed_mutation(root, payload):
    """Each kind at each site where it fits, with each of its fixed bad values."""
    return [
        mutation(kind, site, payload, bad)
        for site in sites(root, payload)
        for kind in KINDS
        if kind.applies(site)
        for bad in kind.fixed_values(site)
    ]
