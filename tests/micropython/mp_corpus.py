"""Replays a corpus file against a protocol module; runs on MicroPython and CPython.

usage: micropython mp_corpus.py PACKAGE_PARENT CORPUS.jsonl
Prints one JSON result per line, as tests/micropython/corpus.py run_case does.
"""

import sys

try:
    import ujson as json
except ImportError:
    import json

sys.path.insert(0, sys.argv[1])

from ocpp16 import protocol  # noqa: E402


def canonical(value):
    if isinstance(value, list):
        return [canonical(x) for x in value]
    if isinstance(value, protocol.Payload):
        out = {}
        for name in value._names:
            out[name] = canonical(getattr(value, name))
        return out
    return value


def run_case(case):
    action = case["action"]
    if case["request"]:
        validate, decode = protocol.validate_request, protocol.decode_request
    else:
        validate, decode = protocol.validate_response, protocol.decode_response
    result = {"id": case["id"]}
    try:
        validate(action, case["payload"])
    except protocol.ValidationError as error:
        result["verdict"] = [error.code, error.path, error.rule]
        return result
    result["verdict"] = "valid"
    obj = decode(action, case["payload"])
    result["decoded"] = canonical(obj)
    result["encoded"] = protocol.encode(obj)
    result["action_of"] = protocol.action_of(obj)
    result["is_request"] = protocol.is_request(obj)
    return result


def main():
    with open(sys.argv[2]) as handle:
        while True:
            line = handle.readline()
            if not line:
                break
            case = json.loads(line)
            line = None
            # json.dump streams: no second copy of a large result.
            json.dump(run_case(case), sys.stdout)
            sys.stdout.write("\n")
    print("DONE")


main()
