"""A deterministic corpus of OCPP 1.6 payloads, and CPython's verdicts on it.

Valid payloads per action and direction are drawn from the generator's IR
with a seeded random.Random; each is then mutated in the ways a peer gets
payloads wrong (wrong JSON type, missing required field, over maxLength,
unknown enum value, extra property, bad date-time, too few items, not a
multiple, not an object). CPython's `ocpp16.protocol` (the CPython flavour)
gives the expected verdict, decoded value and re-encoded wire form of each.
"""

import copy
import json
import random
from enum import Enum
from pathlib import Path

from generator import model as m
from generator.build import build_model
from generator.loader import load

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas" / "upstream"
SEED = 16
VALID_PER_MESSAGE = 3

_TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_."
# Multi-byte characters: two- and three-byte UTF-8, so maxLength in
# characters and in bytes disagree.
_WIDE = "\u00e9\u00fc\u20ac\u4e2d"
_DATES = (
    "2024-02-29T12:34:56Z",
    "2023-12-31T23:59:59.123Z",
    "2021-06-01T00:00:00+02:00",
    "2020-01-01t08:00:00z",
    "1999-10-10T10:10:10.5-05:30",
)
_BAD_DATES = (
    "2023-02-29T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "yesterday",
    "2024-01-01 00:00:00Z",
    "2024-01-01T24:00:00Z",
)
_URIS = ("https://example.com/firmware.bin", "ftp://user@host/path", "urn:ocpp:1.6")


def load_model():
    return build_model(load(SCHEMAS, ROOT / "schemas"))


class Drawer:
    def __init__(self, model, rng):
        self.model = model
        self.rng = rng

    def value(self, t):
        rng = self.rng
        if t.kind == m.STRING:
            if t.format == "date-time":
                return rng.choice(_DATES)
            if t.format == "uri":
                return rng.choice(_URIS)
            limit = t.max_length if t.max_length is not None else 30
            length = rng.choice((0, 1, limit, rng.randint(0, min(limit, 40))))
            alphabet = _TEXT + (_WIDE if limit <= 100 and rng.random() < 0.3 else "")
            return "".join(rng.choice(alphabet) for _ in range(length))
        if t.kind == m.ENUM:
            return rng.choice(self.model.enum(t.enum).values)
        if t.kind == m.INTEGER:
            low = int(t.minimum) if t.minimum is not None else -5
            value = rng.choice((low, low + 1, rng.randint(low, 100000)))
            if t.integral_float and rng.random() < 0.2:
                return float(value)
            return value
        if t.kind == m.NUMBER:
            if t.multiple_of is not None:
                return round(rng.randint(0, 5000) * t.multiple_of, 1)
            return rng.choice((0, 7, round(rng.uniform(-100, 100), 3)))
        if t.kind == m.BOOLEAN:
            return rng.random() < 0.5
        if t.kind == m.OBJECT:
            return self.object(self.model.object(t.object))
        if t.kind == m.ARRAY:
            low = t.min_items or 0
            high = t.max_items if t.max_items is not None else low + 3
            return [self.value(t.item) for _ in range(rng.randint(low, max(low, high)))]
        raise ValueError(t.kind)

    def object(self, obj):
        out = {}
        for f in obj.fields:
            if f.required or self.rng.random() < 0.6:
                out[f.wire_name] = self.value(f.type)
        return out


def _objects_in(model, obj, payload, path=()):
    """(object type, dict, path) of the payload and every nested object in it."""
    found = [(obj, payload, path)]
    for f in obj.fields:
        if f.wire_name not in payload:
            continue
        t, v = f.type, payload[f.wire_name]
        if t.kind == m.OBJECT:
            found += _objects_in(model, model.object(t.object), v, path + (f.wire_name,))
        elif t.kind == m.ARRAY and t.item.kind == m.OBJECT:
            for i, x in enumerate(v):
                found += _objects_in(model, model.object(t.item.object), x, path + (f.wire_name, i))
    return found


def _at(payload, path):
    for key in path:
        payload = payload[key]
    return payload


def mutations(model, obj, payload, rng):
    """(name, mutated payload) pairs; each breaks one rule somewhere."""
    out = [("not an object", ["x"]), ("null payload", None)]
    for target, _, path in _objects_in(model, obj, payload):
        # Each variant is applied at once; path (and required below) are bound
        # as defaults anyway, like f=f in the lambdas, so no closure outlives its loop.
        def variant(change, label, path=path):
            mutated = copy.deepcopy(payload)
            if change(_at(mutated, path)) is not False:
                out.append(("%s at %s" % (label, "/".join(map(str, path)) or "root"), mutated))

        variant(lambda d: d.update({"zzExtra": 1, "aaExtra": 2}), "extra properties")
        required = [f for f in target.fields if f.required]
        if required:
            f = rng.choice(required)
            variant(lambda d, f=f: d.pop(f.wire_name), "missing %s" % f.wire_name)
            if len(required) > 1:
                variant(
                    lambda d, required=required: [d.pop(g.wire_name) for g in required],
                    "missing all required",
                )
        for f in target.fields:
            t = f.type
            if f.wire_name not in _at(payload, path):
                continue
            wrong = {
                m.STRING: 5,
                m.ENUM: 5,
                m.INTEGER: "5",
                m.NUMBER: "5",
                m.BOOLEAN: 1,
                m.OBJECT: [],
                m.ARRAY: {},
            }
            variant(
                lambda d, f=f, v=wrong[t.kind]: d.__setitem__(f.wire_name, v),
                "wrong type %s" % f.wire_name,
            )
            if t.kind in (m.INTEGER, m.NUMBER):
                variant(
                    lambda d, f=f: d.__setitem__(f.wire_name, True),
                    "bool for number %s" % f.wire_name,
                )
                variant(lambda d, f=f: d.__setitem__(f.wire_name, 2.5), "fraction %s" % f.wire_name)
            if t.kind == m.INTEGER and t.minimum is not None:
                variant(
                    lambda d, f=f, t=t: d.__setitem__(f.wire_name, int(t.minimum) - 1),
                    "below minimum %s" % f.wire_name,
                )
            if t.kind == m.NUMBER and t.multiple_of is not None:
                variant(
                    lambda d, f=f: d.__setitem__(f.wire_name, 0.15), "not multiple %s" % f.wire_name
                )
            if t.kind == m.STRING and t.max_length is not None:
                over = "a" * (t.max_length + 1)
                wide = "\u00e9" * t.max_length  # at the limit in characters, over it in bytes
                variant(
                    lambda d, f=f, v=over: d.__setitem__(f.wire_name, v),
                    "over maxLength %s" % f.wire_name,
                )
                if t.max_length <= 500:
                    variant(
                        lambda d, f=f, v=wide: d.__setitem__(f.wire_name, v),
                        "wide at maxLength %s" % f.wire_name,
                    )
            if t.kind == m.STRING and t.format == "date-time":
                bad = rng.choice(_BAD_DATES)
                variant(
                    lambda d, f=f, v=bad: d.__setitem__(f.wire_name, v),
                    "bad date-time %s" % f.wire_name,
                )
            if t.kind == m.STRING and t.format == "uri":
                variant(
                    lambda d, f=f: d.__setitem__(f.wire_name, "no scheme"),
                    "bad uri %s" % f.wire_name,
                )
            if t.kind == m.ENUM:
                variant(
                    lambda d, f=f: d.__setitem__(f.wire_name, "NotAValue"),
                    "bad enum %s" % f.wire_name,
                )
            if t.kind == m.ARRAY:
                variant(
                    lambda d, f=f: d.__setitem__(f.wire_name, []), "empty list %s" % f.wire_name
                )
                variant(
                    lambda d, f=f: d.__setitem__(f.wire_name, [None]), "null item %s" % f.wire_name
                )
    return out


def build_cases(model=None, seed=SEED):
    """Every case: {"id", "action", "request", "payload"}."""
    model = model or load_model()
    rng = random.Random(seed)
    drawer = Drawer(model, rng)
    cases = []
    for action in model.actions:
        for message in (action.request, action.response):
            for n in range(VALID_PER_MESSAGE):
                payload = drawer.object(message.object)
                base = "%s.%s#%d" % (action.name, "req" if message.is_request else "conf", n)
                cases.append(
                    {
                        "id": base,
                        "action": action.name,
                        "request": message.is_request,
                        "payload": payload,
                    }
                )
                if n == 0:
                    for label, mutated in mutations(model, message.object, payload, rng):
                        cases.append(
                            {
                                "id": base + " " + label,
                                "action": action.name,
                                "request": message.is_request,
                                "payload": mutated,
                            }
                        )
    return cases


def canonical(value):
    """A decoded object as plain JSON values: objects → {snake_name: value}."""
    if isinstance(value, list):
        return [canonical(x) for x in value]
    if isinstance(value, Enum):
        return value.value  # the MicroPython flavour's enum values are plain str
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: canonical(v) for k, v in vars(value).items()}
    return value


def run_case(protocol, case):
    """What a protocol module makes of one case, as plain JSON values."""
    validate = protocol.validate_request if case["request"] else protocol.validate_response
    decode = protocol.decode_request if case["request"] else protocol.decode_response
    result = {"id": case["id"]}
    try:
        validate(case["action"], case["payload"])
    except protocol.ValidationError as error:
        result["verdict"] = [error.code, error.path, error.rule]
        return result
    result["verdict"] = "valid"
    obj = decode(case["action"], case["payload"])
    result["decoded"] = canonical(obj)
    result["encoded"] = protocol.encode(obj)
    result["action_of"] = protocol.action_of(obj)
    result["is_request"] = protocol.is_request(obj)
    return result


def write_corpus(path, cases):
    # Raw UTF-8, as a frame's text reaches the protocol after framing: the
    # 1.13 stand-in's json would keep only the low byte of a \u escape.
    with open(path, "w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
