"""Helpers for the interop tests: our recording peers, strict comparison of
typed payloads, and a driver for the node (ocpp-rpc) peers."""

import asyncio
import dataclasses
import decimal
import enum
import json
import os
import shutil
import subprocess

import payloads
import pytest
from ocpp16 import protocol
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def run(coroutine, timeout=30):
    """Run a scenario on a fresh event loop with an overall time bound."""

    async def bounded():
        return await asyncio.wait_for(coroutine, timeout)

    return asyncio.run(bounded())


# ------------------------------------------------------------ comparisons


def assert_same_typed(actual, expected, path="payload"):
    """``actual`` equals ``expected`` with the same types all the way down:
    our dataclasses, our enums (not bare strings), lists. JSON numbers may
    come back as int where we sent 32.0 (JavaScript prints 32), so int and
    float count as one type when equal."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        assert type(actual) is type(expected) and actual == expected, "%s: %r != %r" % (
            path,
            actual,
            expected,
        )
        return
    if isinstance(expected, (int, float)) and not isinstance(expected, enum.Enum):
        assert isinstance(actual, (int, float)) and not isinstance(actual, enum.Enum), (
            "%s: %r is not a number" % (path, actual)
        )
        assert actual == expected, "%s: %r != %r" % (path, actual, expected)
        return
    assert type(actual) is type(expected), "%s: %s (%r) is not %s" % (
        path,
        type(actual).__name__,
        actual,
        type(expected).__name__,
    )
    if dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            assert_same_typed(
                getattr(actual, field.name),
                getattr(expected, field.name),
                "%s.%s" % (path, field.name),
            )
    elif isinstance(expected, list):
        assert len(actual) == len(expected), "%s: %d items, expected %d" % (
            path,
            len(actual),
            len(expected),
        )
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_same_typed(got, want, "%s[%d]" % (path, index))
    else:
        assert actual == expected, "%s: %r != %r" % (path, actual, expected)


def check_our_response(action, response):
    """A response our side received: the action's response class, typed
    all the way down, valid, and the table's payload."""
    assert isinstance(response, protocol.response_class(action)), (action, response)
    wire = protocol.encode(response)
    protocol.validate_response(action, wire)
    assert_same_typed(response, payloads.typed_response(action), action + ".conf")


def check_our_request(action, request):
    assert isinstance(request, protocol.request_class(action)), (action, request)
    protocol.validate_request(action, protocol.encode(request))
    assert_same_typed(request, payloads.typed_request(action), action + ".req")


def assert_wire_equal(actual, expected, path="payload"):
    """JSON-level equality where 32 and 32.0 are the same number."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), "%s: %r is not an object" % (path, actual)
        assert sorted(actual) == sorted(expected), "%s: keys %s != %s" % (
            path,
            sorted(actual),
            sorted(expected),
        )
        for key in expected:
            assert_wire_equal(actual[key], expected[key], path + "." + key)
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), "%s: %r != %r" % (
            path,
            actual,
            expected,
        )
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_wire_equal(got, want, "%s[%d]" % (path, index))
    elif isinstance(actual, decimal.Decimal):
        # mobilityhouse hands its handlers the numbers of schemas with
        # multipleOf as Decimal (parsed from the JSON text)
        assert isinstance(expected, (int, float)) and not isinstance(expected, bool)
        assert actual == decimal.Decimal(repr(expected)), "%s: %r != %r" % (
            path,
            actual,
            expected,
        )
    else:
        assert type(actual) is type(expected) or (
            isinstance(actual, (int, float))
            and isinstance(expected, (int, float))
            and not isinstance(actual, bool)
            and not isinstance(expected, bool)
        ), "%s: %r is not like %r" % (path, actual, expected)
        assert actual == expected, "%s: %r != %r" % (path, actual, expected)


# ------------------------------------------------------------ our peers


def recording_class(role, seen):
    """An ocppj aio ChargePoint subclass for ``role`` (this end) answering
    every action the other side initiates with the table's response, and
    appending ``(action, request object)`` to ``seen``. The request object
    is rebuilt from the handler's keyword arguments, so the test sees
    exactly what a handler gets."""
    other = payloads.CHARGE_POINT if role == payloads.CENTRAL_SYSTEM else payloads.CENTRAL_SYSTEM
    namespace = {"role": role, "protocol": protocol}

    def make(action):
        async def handler(self, **fields):
            seen.append((action, protocol.request_class(action)(**fields)))
            return payloads.typed_response(action)

        handler.__name__ = "on_" + action
        return on(action)(handler)

    for action in payloads.initiated_by(other):
        namespace["on_" + action] = make(action)
    return type("Recording" + role, (ChargePoint,), namespace)


def assert_seen_in_order(seen, actions):
    assert [action for action, _ in seen] == list(actions)
    for action, request in seen:
        check_our_request(action, request)


# ------------------------------------------------------------ node peers


def node_or_skip():
    """The node executable; skips (naming what is missing) without node or
    npm. With node present the npm dependencies must be installed
    (``npm ci`` in tests/interop/node; .ci/run does it): failing then is a
    broken setup, not a reason to skip."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "ocpp-rpc interop needs node and npm on PATH (missing: %s)"
            % ", ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
        )
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    assert major >= 18, "ocpp-rpc 2.2.1 needs node >= 17.3; found %s" % version
    installed = os.path.join(NODE_DIR, "node_modules", "ocpp-rpc", "package.json")
    assert os.path.exists(installed), (
        "ocpp-rpc is not installed: run `npm ci` in tests/interop/node (.ci/run does this)"
    )
    with open(installed, encoding="utf-8") as handle:
        assert json.load(handle)["version"] == "2.2.1"
    return node


class NodePeer:
    """A node script run as a subprocess; every stdout line is a JSON
    event, kept in ``events``. ``wait_for(name)`` returns the first event
    of that name (failing early on a fatal one)."""

    def __init__(self, node, script, *args):
        self.command = [node, os.path.join(NODE_DIR, script)] + [str(a) for a in args]
        self.events = []
        self.stderr = b""
        self._process = None
        self._reader = None
        self._changed = None

    async def start(self):
        self._changed = asyncio.Condition()
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=NODE_DIR,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        while True:
            line = await self._process.stdout.readline()
            if not line:
                break
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "garbage", "line": line.decode("utf-8", "replace")}
            async with self._changed:
                self.events.append(event)
                self._changed.notify_all()
        async with self._changed:
            self.events.append({"event": "<eof>"})
            self._changed.notify_all()

    async def wait_for(self, name, timeout=15):
        async def found():
            async with self._changed:
                while True:
                    for event in self.events:
                        if event["event"] == name:
                            return event
                        if event["event"] in ("fatal", "<eof>"):
                            raise AssertionError(
                                "node peer ended before %r: %r\nstderr: %s"
                                % (name, event, await self._stderr_text())
                            )
                    await self._changed.wait()

        return await asyncio.wait_for(found(), timeout)

    async def _stderr_text(self):
        if self._process.returncode is None:
            return "(still running)"
        return (await self._process.stderr.read()).decode("utf-8", "replace")

    async def finish(self, timeout=10):
        """Wait for the script to exit; returns its exit code."""
        try:
            code = await asyncio.wait_for(self._process.wait(), timeout)
        except asyncio.TimeoutError:
            self._process.kill()
            await self._process.wait()
            raise AssertionError("node peer did not exit in %ss" % timeout) from None
        await self._reader
        self.stderr = await self._process.stderr.read()
        return code

    def kill(self):
        if self._process is not None and self._process.returncode is None:
            self._process.kill()

    def named(self, name):
        return [event for event in self.events if event["event"] == name]


def write_table(directory, **overrides):
    """The payload table as JSON for a node peer; ``overrides`` replace
    top-level keys (e.g. ``chargePointActions=[]`` for a peer that only
    answers)."""
    table = json.loads(payloads.as_json())
    table.update(overrides)
    path = os.path.join(str(directory), "interop_table.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(table, handle)
    return path
