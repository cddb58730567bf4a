"""The one rule walk: every schema constraint becomes a Rule here, once.

A Rule says what one constraint checks (its kind), which OCPP-J CallError
a strict receiver answers when a value breaks it (its code) and how
ValidationError.rule words it (its text). `value_rules` lists the rules of
one value in the order the validators report them; nothing else in the
generator decides which rules a schema node has, in which order, with
which code.

Every output renders these same rules:
- CPython validators raise ValidationError(code, path, text) for each rule
  in turn (templates/cpython/validators.py.j2);
- CPython readers refuse, in one `if`, on the same tests, written by the
  same Jinja macro per kind (templates/cpython/rule_tests.j2), then
  convert (`refusals` says which rules a conversion checks by itself);
  they never describe a fault, the validator does that
  (templates/cpython/readers.py.j2);
- the MicroPython engine interprets tables that carry each constraint's
  bound, and takes each kind's code and text from RULES
  (templates/micropython/_engine.py.j2).
So validate and read cannot disagree on a rule, and the code of a rule
(item 7 of issue 13: minItems is an occurrence fault) is one line here.
"""

from dataclasses import dataclass
from typing import Dict, Optional, Tuple, Union

from . import model as m

# The CallError codes, as the constants the generated modules define them.
TYPE = "TYPE"  # TypeConstraintViolation
OCCURENCE = "OCCURENCE"  # OccurenceConstraintViolation (the 1.6 wire spelling)
PROPERTY = "PROPERTY"  # PropertyConstraintViolation


@dataclass(frozen=True)
class Rule:
    kind: str  # names the macro that writes its test
    code: str  # TYPE, OCCURENCE or PROPERTY
    text: str  # ValidationError.rule, e.g. "maxLength 20"
    # What the test compares with: a length, a bound, a step, or the name
    # of an enumeration. None where the kind needs nothing.
    bound: Union[int, float, str, None] = None


def _kinds(*rules: Rule) -> Dict[str, Rule]:
    return {rule.kind: rule for rule in rules}


# Every kind of rule with its code and its text ("%s": the bound).
RULES = _kinds(
    # an object
    Rule("type_object", TYPE, "type object"),
    Rule("required", OCCURENCE, "required"),
    Rule("additional_properties", PROPERTY, "additionalProperties"),
    # a string, possibly an enumeration
    Rule("type_string", TYPE, "type string"),
    Rule("enum", PROPERTY, "enum"),
    Rule("max_length", PROPERTY, "maxLength %s"),
    Rule("date_time", PROPERTY, "format date-time"),
    Rule("uri", PROPERTY, "format uri"),
    # a number
    Rule("type_integer", TYPE, "type integer"),
    Rule("type_integral", TYPE, "type integer"),  # draft-06: 1.0 is an integer
    Rule("type_number", TYPE, "type number"),
    Rule("minimum", PROPERTY, "minimum %s"),
    Rule("maximum", PROPERTY, "maximum %s"),
    Rule("multiple_of", PROPERTY, "multipleOf %s"),
    # a boolean
    Rule("type_boolean", TYPE, "type boolean"),
    # an array: its cardinality (1..*) is an occurrence constraint in OCPP-J
    Rule("type_array", TYPE, "type array"),
    Rule("min_items", OCCURENCE, "minItems %s"),
    Rule("max_items", OCCURENCE, "maxItems %s"),
)


def rule(kind: str, bound: Union[int, float, str, None] = None) -> Rule:
    template = RULES[kind]
    text = template.text % (bound,) if "%s" in template.text else template.text
    return Rule(kind, template.code, text, bound)


def _bounded(kind: str, bound: Optional[Union[int, float]]) -> Tuple[Rule, ...]:
    return () if bound is None else (rule(kind, bound),)


def value_rules(t: m.TypeRef) -> Tuple[Rule, ...]:
    """The rules a present value of type `t` must pass, in report order.

    A nested object's rules are those of its own validator or reader (the
    type test first); an array's items are checked by `value_rules(t.item)`.
    """
    if t.kind == m.ENUM:
        return (rule("type_string"), rule("enum", t.enum))
    if t.kind == m.STRING:
        formats = {None: (), "date-time": (rule("date_time"),), "uri": (rule("uri"),)}
        return (rule("type_string"),) + _bounded("max_length", t.max_length) + formats[t.format]
    if t.kind in (m.INTEGER, m.NUMBER):
        if t.kind == m.NUMBER:
            first = rule("type_number")
        else:
            first = rule("type_integral" if t.integral_float else "type_integer")
        return (
            (first,)
            + _bounded("minimum", t.minimum)
            + _bounded("maximum", t.maximum)
            + _bounded("multiple_of", t.multiple_of)
        )
    if t.kind == m.BOOLEAN:
        return (rule("type_boolean"),)
    if t.kind == m.ARRAY:
        return (
            (rule("type_array"),)
            + _bounded("min_items", t.min_items)
            + _bounded("max_items", t.max_items)
        )
    if t.kind == m.OBJECT:
        return ()
    raise ValueError(t.kind)  # pragma: no cover - the builder rejects other kinds


def refusals(t: m.TypeRef) -> Tuple[Rule, ...]:
    """The rules a reader tests before it converts: value_rules(t), less
    those its conversion checks by itself.

    A reader only has to refuse, not to say why. It converts an
    enumeration's value by a subscript of the member map, which holds
    exactly the enumeration's values (both come from EnumType.values):
    any other str, a number, a bool or a null raises KeyError there, a
    list or an object TypeError, and the caller takes both as "cannot
    vouch". So an enumeration's two rules (type string, enum) are checked
    by its conversion, and tests/generated/test_readers.py holds the maps
    to the validators' value sets.
    """
    if t.kind == m.ENUM:
        return ()
    return value_rules(t)
