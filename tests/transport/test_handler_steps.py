"""How a central system runs ``async def`` handlers, over a real connection
on 127.0.0.1: the reader runs a handler's coroutine itself up to its first
wait (no task per CALL), in a context of its own; a handler that waits goes
on in a task from where it stopped (results and exceptions reach it there),
others are answered meanwhile, and closing the connection cancels it."""

import asyncio
import contextvars
import json

from ocpp16 import call_result, protocol
from ocppj import errors
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.server import CentralSystem
from transport_support import open_websocket, run, wait_for

STEP = contextvars.ContextVar("step", default="unset")
NOW = "2024-05-17T09:41:27.318Z"


class Steps(ChargePoint):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []  # (action, STEP before, task running the handler)
        self.gates = {}  # vendor id -> Future a DataTransfer handler awaits
        self.cancelled = []

    @on("Heartbeat")
    async def heartbeat(self):
        self.seen.append(("Heartbeat", STEP.get(), asyncio.current_task()))
        STEP.set("heartbeat")
        return call_result.Heartbeat(current_time=NOW)

    @on("DataTransfer")
    async def data_transfer(self, vendor_id, **kwargs):
        STEP.set(vendor_id)
        gate = asyncio.get_running_loop().create_future()
        self.gates[vendor_id] = gate
        try:
            outcome = await gate
        except LookupError as failure:
            raise errors.SecurityError(str(failure)) from failure
        except asyncio.CancelledError:
            self.cancelled.append(vendor_id)
            raise
        # still in this handler's own context after the wait
        return call_result.DataTransfer(status="Accepted", data="%s %s" % (STEP.get(), outcome))

    @on("Authorize")
    async def authorize(self, id_tag):
        raise asyncio.CancelledError()


async def _connected():
    server = CentralSystem(Steps, protocol=protocol, ping_interval=None)
    await server.start()
    websocket = await open_websocket(server.url("CP-1"))
    await wait_for(lambda: server.is_connected("CP-1"))
    return server, websocket, server.charge_points["CP-1"]


async def _ask(websocket, unique_id, action, payload):
    await websocket.send(json.dumps([2, unique_id, action, payload]))


async def _answer(websocket):
    return json.loads(await asyncio.wait_for(websocket.recv(), 5))


def test_a_handler_that_does_not_wait_runs_in_the_reader_in_a_context_of_its_own():
    async def scenario():
        server, websocket, charge_point = await _connected()
        try:
            for unique_id in ("1", "2"):
                await _ask(websocket, unique_id, "Heartbeat", {})
                assert await _answer(websocket) == [3, unique_id, {"currentTime": NOW}]
            first, second = charge_point.seen
            # the value the first handler set stayed in its own context
            assert first[1] == second[1] == "unset"
            # no task per CALL: both ran in the task that reads
            assert first[2] is second[2]
            assert first[2] is not None and not first[2].done()
            assert not charge_point._handler_tasks
        finally:
            await websocket.close()
            await server.close()

    run(scenario())


def test_a_handler_that_waits_goes_on_in_a_task_while_others_are_answered():
    async def scenario():
        server, websocket, charge_point = await _connected()
        try:
            await _ask(websocket, "a", "DataTransfer", {"vendorId": "A"})
            await _ask(websocket, "b", "DataTransfer", {"vendorId": "B"})
            await _ask(websocket, "h", "Heartbeat", {})
            assert await _answer(websocket) == [3, "h", {"currentTime": NOW}]
            assert len(charge_point._handler_tasks) == 2
            charge_point.gates["B"].set_exception(LookupError("no such tag"))
            assert await _answer(websocket) == [
                4,
                "b",
                "SecurityError",
                "no such tag",
                {},
            ]
            charge_point.gates["A"].set_result("done")
            assert await _answer(websocket) == [
                3,
                "a",
                {"status": "Accepted", "data": "A done"},
            ]
            await wait_for(lambda: not charge_point._handler_tasks)
            # the reader's context never saw what the handlers set
            await _ask(websocket, "h2", "Heartbeat", {})
            await _answer(websocket)
            assert [step for _, step, _ in charge_point.seen] == ["unset", "unset"]
        finally:
            await websocket.close()
            await server.close()

    run(scenario())


def test_closing_the_connection_cancels_a_waiting_handler():
    async def scenario():
        server, websocket, charge_point = await _connected()
        try:
            await _ask(websocket, "a", "DataTransfer", {"vendorId": "A"})
            await wait_for(lambda: "A" in charge_point.gates)
            await websocket.close()
            await wait_for(lambda: charge_point.cancelled == ["A"])
            await wait_for(lambda: not charge_point._handler_tasks)
        finally:
            await server.close()

    run(scenario())


def test_a_handler_raising_cancelled_error_at_once_is_answered_and_reading_goes_on(
    caplog,
):
    async def scenario():
        server, websocket, charge_point = await _connected()
        try:
            await _ask(websocket, "x", "Authorize", {"idTag": "T"})
            answer = await _answer(websocket)
            assert answer[:3] == [4, "x", "InternalError"]
            await _ask(websocket, "h", "Heartbeat", {})
            assert await _answer(websocket) == [3, "h", {"currentTime": NOW}]
        finally:
            await websocket.close()
            await server.close()

    run(scenario())
    assert any("CancelledError" in record.getMessage() for record in caplog.records)
