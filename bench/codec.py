"""Codec section: our generated validators + codecs against mobilityhouse
`ocpp` 2.1.0, on charge-point CALL frames (bench/frames.py).

What each side measures, per message:

decode  text → validated, typed payload
  ours    json.loads(text), frame shape check, protocol.validate_request,
          protocol.decode_request (dataclasses with enum members)
  theirs  ocpp.messages.unpack(text) (json.loads + Call), _validate_payload
          (jsonschema Draft4 against their 1.6 schema); the payload stays a
          camelCase dict, so their side does less than ours
  floor   json.loads(text)

encode  typed payload → validated CALL text
  ours    protocol.action_of, protocol.encode, protocol.validate_request,
          json.dumps([2, id, action, payload]) (as ocppj.framing does)
  theirs  what ChargePoint.call does before sending: serialize_as_dict,
          snake_to_camel_case, remove_nones, Call(...), _validate_payload,
          Call.to_json()
  floor   json.dumps of the same frame as a list

Both sides use one fixed unique id (theirs would draw uuid4 per call).
Each side's encoded text is checked to parse back to the original frame
before anything is timed. The mix is one frame of each kind, equal weight.
"""

import json

from ocpp16 import protocol

from . import frames, mobilityhouse, results, timing

UNIQUE_ID = frames.UNIQUE_ID
SCALING_COUNTS = (1, 10, 100, 1000)

_loads = json.loads
_dumps = json.dumps
_validate_request = protocol.validate_request
_decode_request = protocol.decode_request
_encode = protocol.encode
_action_of = protocol.action_of


def decode_frame(text):
    message = _loads(text)
    if type(message) is not list or len(message) != 4 or message[0] != 2:
        raise ValueError("not a CALL frame")
    action = message[2]
    payload = message[3]
    _validate_request(action, payload)
    return _decode_request(action, payload)


def encode_frame(obj):
    action = _action_of(obj)
    payload = _encode(obj)
    _validate_request(action, payload)
    return _dumps([2, UNIQUE_ID, action, payload])


def _ours_decode(texts):
    for text in texts:
        decode_frame(text)


def _ours_encode(objects):
    for obj in objects:
        encode_frame(obj)


def _theirs_decode(texts):
    decode = mobilityhouse.decode
    for text in texts:
        decode(text)


def _theirs_encode(objects):
    encode = mobilityhouse.encode
    for obj in objects:
        encode(obj, UNIQUE_ID)


def _json_loads(texts):
    for text in texts:
        _loads(text)


def _json_dumps(frame_lists):
    for frame in frame_lists:
        _dumps(frame)


class Case:
    """One message kind, or a mix of several: inputs for every contender."""

    def __init__(self, label, messages):
        self.label = label
        self.texts = []
        self.frames = []
        self.ours = []
        self.theirs = []
        for action, payload in messages:
            text = frames.call_text(action, payload)
            frame = [2, UNIQUE_ID, action, payload]
            ours = decode_frame(text)
            theirs = mobilityhouse.typed_request(action, payload)
            # Apples to apples: both sides must read and write the same frame.
            mobilityhouse.decode(text)
            for side, written in (
                ("ours", encode_frame(ours)),
                ("mobilityhouse", mobilityhouse.encode(theirs, UNIQUE_ID)),
            ):
                if json.loads(written) != frame:
                    raise AssertionError(
                        "%s: %s encodes %s differently: %s" % (label, side, action, written)
                    )
            self.texts.append(text)
            self.frames.append(frame)
            self.ours.append(ours)
            self.theirs.append(theirs)
        self.size = sum(len(t) for t in self.texts) / len(self.texts)

    def measure(self):
        figures = timing.compare(
            {
                "ours_decode": (_ours_decode, self.texts),
                "theirs_decode": (_theirs_decode, self.texts),
                "json_loads": (_json_loads, self.texts),
                "ours_encode": (_ours_encode, self.ours),
                "theirs_encode": (_theirs_encode, self.theirs),
                "json_dumps": (_json_dumps, self.frames),
            }
        )
        us = {name: f["median"] * 1e6 for name, f in figures.items()}
        return {
            "label": self.label,
            "messages": len(self.texts),
            "bytes": round(self.size),
            "us": us,
            "spread_us": {name: [f["min"] * 1e6, f["max"] * 1e6] for name, f in figures.items()},
            "decode_speedup": us["theirs_decode"] / us["ours_decode"],
            "encode_speedup": us["theirs_encode"] / us["ours_encode"],
            "decode_vs_json": us["ours_decode"] / us["json_loads"],
            "encode_vs_json": us["ours_encode"] / us["json_dumps"],
            "roundtrip_vs_json": (us["ours_decode"] + us["ours_encode"])
            / (us["json_loads"] + us["json_dumps"]),
            "theirs_roundtrip_vs_json": (us["theirs_decode"] + us["theirs_encode"])
            / (us["json_loads"] + us["json_dumps"]),
        }


def _scaling_payload(count):
    return {
        "connectorId": 1,
        "transactionId": 48213,
        "meterValue": [
            {"timestamp": frames.TIMESTAMP, "sampledValue": frames.sampled_values(count)}
        ],
    }


def _fmt(value, digits=1):
    return "%.*f" % (digits, value)


def _print_messages(rows):
    print("\nDecode + validate, µs per message (median of %d interleaved rounds)" % timing.ROUNDS)
    print(
        results.table(
            ["message", "bytes", "ours", "mobilityhouse", "speedup", "json.loads", "ours/json"],
            [
                [
                    r["label"],
                    r["bytes"],
                    _fmt(r["us"]["ours_decode"], 2),
                    _fmt(r["us"]["theirs_decode"]),
                    _fmt(r["decode_speedup"]) + "x",
                    _fmt(r["us"]["json_loads"], 2),
                    _fmt(r["decode_vs_json"], 2) + "x",
                ]
                for r in rows
            ],
        )
    )
    print("\nEncode + validate, µs per message")
    print(
        results.table(
            ["message", "bytes", "ours", "mobilityhouse", "speedup", "json.dumps", "ours/json"],
            [
                [
                    r["label"],
                    r["bytes"],
                    _fmt(r["us"]["ours_encode"], 2),
                    _fmt(r["us"]["theirs_encode"]),
                    _fmt(r["encode_speedup"]) + "x",
                    _fmt(r["us"]["json_dumps"], 2),
                    _fmt(r["encode_vs_json"], 2) + "x",
                ]
                for r in rows
            ],
        )
    )
    print("\nRound trip (decode + encode) against bare json.loads + json.dumps")
    print(
        results.table(
            ["message", "ours/json", "mobilityhouse/json"],
            [
                [
                    r["label"],
                    _fmt(r["roundtrip_vs_json"], 2) + "x",
                    _fmt(r["theirs_roundtrip_vs_json"]) + "x",
                ]
                for r in rows
            ],
        )
    )


def _print_scaling(rows):
    print(
        "\nMeterValues with N sampled values (one meterValue, all fields set): µs per sampledValue"
    )
    print(
        results.table(
            [
                "N",
                "decode ours",
                "decode mh",
                "speedup",
                "json.loads",
                "encode ours",
                "encode mh",
                "speedup",
                "json.dumps",
            ],
            [
                [
                    r["sampled_values"],
                    _fmt(r["us_per_value"]["ours_decode"], 2),
                    _fmt(r["us_per_value"]["theirs_decode"]),
                    _fmt(r["decode_speedup"]) + "x",
                    _fmt(r["us_per_value"]["json_loads"], 2),
                    _fmt(r["us_per_value"]["ours_encode"], 2),
                    _fmt(r["us_per_value"]["theirs_encode"]),
                    _fmt(r["encode_speedup"]) + "x",
                    _fmt(r["us_per_value"]["json_dumps"], 2),
                ]
                for r in rows
            ],
        )
    )


def run():
    print(
        "codec: ocpp16 (generated) vs mobilityhouse ocpp %s, CALL frames from a charge point"
        % mobilityhouse.VERSION
    )
    cases = [Case(label, [(action, payload)]) for label, action, payload in frames.PAYLOADS]
    cases.append(
        Case("mix (one of each)", [(action, payload) for _, action, payload in frames.PAYLOADS])
    )
    rows = [case.measure() for case in cases]
    _print_messages(rows)

    scaling = []
    for count in SCALING_COUNTS:
        row = Case("MeterValues %d" % count, [("MeterValues", _scaling_payload(count))]).measure()
        row["sampled_values"] = count
        row["us_per_value"] = {name: value / count for name, value in row["us"].items()}
        scaling.append(row)
    _print_scaling(scaling)

    path = results.write(
        "codec",
        {
            "incumbent": "mobilityhouse ocpp %s" % mobilityhouse.VERSION,
            "rounds": timing.ROUNDS,
            "target_seconds_per_sample": timing.TARGET_SECONDS,
            "method": __doc__,
            "messages": rows,
            "scaling": scaling,
        },
    )
    print("\nwritten: %s" % path)
