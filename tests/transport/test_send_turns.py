"""Frames leave one flush at a time, in the core's order, even when a send
waits and a flush waiting for its turn is cancelled; a send that fails
reaches the flush that made it, and each later one still finding frames.

The connection here is a stand-in whose ``send`` waits on a gate the test
opens: a real websocket cannot be made to hold a send back on cue."""

import asyncio
import json
import logging

from ocpp16 import call_result, protocol
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint
from transport_support import run

NOW = "2024-05-17T09:41:27.318Z"


class Answering(ChargePoint):
    @on("Heartbeat")
    def heartbeat(self):
        return call_result.Heartbeat(current_time=NOW)


class GatedConnection:
    def __init__(self):
        self.gate = asyncio.Event()
        self.sent = []
        self.failure = None
        self.on_send = None  # called with each frame once the gate opened

    async def recv(self):
        await asyncio.get_running_loop().create_future()  # never

    async def send(self, text):
        await self.gate.wait()
        if self.on_send is not None:
            self.on_send(text)
        if self.failure is not None:
            raise self.failure
        self.sent.append(text)


def heartbeat(unique_id):
    return json.dumps([2, unique_id, "Heartbeat", {}])


async def _three_answers_in_flight(charge_point):
    tasks = []
    for unique_id in ("1", "2", "3"):
        tasks.append(asyncio.ensure_future(charge_point.route_message(heartbeat(unique_id))))
        await asyncio.sleep(0)  # each one completes its answer, then waits
    return tasks


def test_a_flush_cancelled_while_waiting_leaves_its_frames_to_the_next():
    async def scenario():
        connection = GatedConnection()
        charge_point = Answering("CP-1", connection, protocol=protocol)
        first, second, third = await _three_answers_in_flight(charge_point)
        second.cancel()
        await asyncio.sleep(0)
        connection.gate.set()
        await asyncio.wait_for(asyncio.gather(first, third), 5)
        assert second.cancelled()
        assert [json.loads(text)[1] for text in connection.sent] == ["1", "2", "3"]

    run(scenario())


def test_a_flush_cancelled_after_it_was_handed_the_turn_passes_it_on():
    async def scenario():
        connection = GatedConnection()
        charge_point = Answering("CP-1", connection, protocol=protocol)
        first, second, third = await _three_answers_in_flight(charge_point)
        loop = asyncio.get_running_loop()

        def cancel_second_when_first_is_sent(text):
            if json.loads(text)[1] == "1":
                # runs after the first flush hands its turn to the second
                # and before the second wakes up
                loop.call_soon(second.cancel)

        connection.on_send = cancel_second_when_first_is_sent
        connection.gate.set()
        await asyncio.wait_for(asyncio.gather(first, third), 5)
        assert second.cancelled()
        assert [json.loads(text)[1] for text in connection.sent] == ["1", "2", "3"]

    run(scenario())


def test_a_failing_send_is_reported_by_every_flush_with_frames(caplog):
    caplog.set_level(logging.WARNING, logger="ocppj")

    async def scenario():
        connection = GatedConnection()
        connection.failure = ConnectionResetError("gone")
        charge_point = Answering("CP-1", connection, protocol=protocol)
        tasks = await _three_answers_in_flight(charge_point)
        connection.gate.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert connection.sent == []

    run(scenario())
    failed = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    for unique_id in ("1", "2", "3"):
        assert any("answering Heartbeat %s failed" % unique_id in m for m in failed)
