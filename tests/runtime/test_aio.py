"""The asyncio ChargePoint (CPython only): both roles through an in-memory
pipe, timeouts and queueing on the real event loop, handlers that call back,
and one round trip over a real WebSocket on 127.0.0.1."""

import asyncio
import json
import time

import fake_protocol as P
import pytest
import websockets
from aio_pipe import Closed, pipe
from ocppj import errors
from ocppj.routing import after, on
from ocppj_aio.charge_point import CallTimeoutError, ChargePoint
from scenario_support import authorize_response, boot_response, heartbeat_response


class CentralSystemSide(ChargePoint):
    """Stands for the remote charge point on the central system."""

    protocol = P

    @on("BootNotification")
    async def boot(self, charge_point_vendor, charge_point_model, **kwargs):
        await asyncio.sleep(0)
        return boot_response()

    @on("Authorize")
    def authorize(self, id_tag):
        if id_tag == "BAD":
            raise errors.SecurityError("blocked")
        return authorize_response()

    @on("Heartbeat")
    async def heartbeat(self):
        # a handler may itself call the peer and await the answer
        reset = await self.call(P.ResetRequest(type="Soft"))
        self.reset_status = reset.status
        return heartbeat_response()


class ChargePointSide(ChargePoint):
    protocol = P

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.after_reset = asyncio.Event()

    @on("Reset")
    def reset(self, type):
        return P.ResetResponse(status="Accepted")

    @after("Reset")
    async def rebooted(self, type):
        self.boot_after_reset = await self.call(
            P.BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
        )
        self.after_reset.set()


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 20))


async def _both_ends(**options):
    cs_end, cp_end = pipe()
    cs = CentralSystemSide("CP-1", cs_end, **options)
    cp = ChargePointSide("CP-1", cp_end, **options)
    tasks = [asyncio.ensure_future(cs.start()), asyncio.ensure_future(cp.start())]
    return cs, cp, cs_end, tasks


async def _stop(cs_end, tasks):
    cs_end.close()
    for task in tasks:
        with pytest.raises(Closed):
            await task


def test_both_roles_round_trip_typed_payloads():
    async def scenario():
        cs, cp, cs_end, tasks = await _both_ends()
        assert cs._session.role == "CentralSystem" and cp._session.role == "ChargePoint"
        response = await cp.call(
            P.BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
        )
        assert response == boot_response()
        assert await cp.call(P.AuthorizeRequest(id_tag="T")) == authorize_response()
        assert (await cs.call(P.ResetRequest(type="Hard"))).status == "Accepted"
        await asyncio.wait_for(cp.after_reset.wait(), 5)
        assert cp.boot_after_reset == boot_response()
        await _stop(cs_end, tasks)

    run(scenario())


def test_call_error_is_suppressed_or_raised():
    async def scenario():
        cs, cp, cs_end, tasks = await _both_ends()
        assert await cp.call(P.AuthorizeRequest(id_tag="BAD")) is None
        with pytest.raises(errors.SecurityError) as raised:
            await cp.call(P.AuthorizeRequest(id_tag="BAD"), suppress=False)
        assert raised.value.description == "blocked"
        # no handler: NotSupported
        with pytest.raises(errors.NotSupportedError):
            await cp.call(
                P.StatusNotificationRequest(
                    connector_id=1, error_code="NoError", status="Available"
                ),
                suppress=False,
            )
        await _stop(cs_end, tasks)

    run(scenario())


def test_handler_can_await_a_call_of_its_own():
    async def scenario():
        cs, cp, cs_end, tasks = await _both_ends()
        assert await cp.call(P.HeartbeatRequest()) == heartbeat_response()
        assert cs.reset_status == "Accepted"
        await _stop(cs_end, tasks)

    run(scenario())


def test_timeout_raises_an_asyncio_timeout_error():
    async def scenario():
        mine, silent = pipe()
        cp = ChargePointSide("CP-9", mine, response_timeout=0.2)
        reader = asyncio.ensure_future(cp.start())
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError) as raised:
            await cp.call(P.HeartbeatRequest())
        assert time.monotonic() - started >= 0.19
        assert isinstance(raised.value, errors.CallTimeoutError)
        assert isinstance(raised.value, CallTimeoutError)
        assert raised.value.action == "Heartbeat"
        # the late answer is dropped, never matched to the next call
        frame = json.loads(await silent.recv())
        second = asyncio.ensure_future(cp.call(P.HeartbeatRequest()))
        next_frame = json.loads(await silent.recv())
        await silent.send(json.dumps([3, frame[1], {"currentTime": "2024-01-01T00:00:00Z"}]))
        await silent.send(json.dumps([3, next_frame[1], {"currentTime": "2024-01-02T00:00:00Z"}]))
        assert (await second).current_time == "2024-01-02T00:00:00Z"
        silent.close()
        with pytest.raises(Closed):
            await reader

    run(scenario())


def test_concurrent_calls_go_out_one_at_a_time():
    async def scenario():
        mine, peer = pipe()
        cp = ChargePointSide("CP-8", mine)
        reader = asyncio.ensure_future(cp.start())
        calls = [
            asyncio.ensure_future(cp.call(P.AuthorizeRequest(id_tag="T%d" % index)))
            for index in range(3)
        ]
        seen = []
        for index in range(3):
            frame = json.loads(await peer.recv())
            seen.append(frame[3]["idTag"])
            await asyncio.sleep(0.05)
            # nothing else went out while this one is unanswered
            assert peer.inbox.empty()
            status = "Accepted" if index != 1 else "Blocked"
            await peer.send(json.dumps([3, frame[1], {"idTagInfo": {"status": status}}]))
        results = await asyncio.gather(*calls)
        assert seen == ["T0", "T1", "T2"]
        assert [result.id_tag_info.status for result in results] == [
            "Accepted",
            "Blocked",
            "Accepted",
        ]
        peer.close()
        with pytest.raises(Closed):
            await reader

    run(scenario())


def test_queued_time_counts_and_queue_is_bounded():
    async def scenario():
        mine, peer = pipe()
        cp = ChargePointSide("CP-7", mine, response_timeout=0.3, queue_limit=1)
        reader = asyncio.ensure_future(cp.start())
        first = asyncio.ensure_future(cp.call(P.HeartbeatRequest()))
        second = asyncio.ensure_future(cp.call(P.HeartbeatRequest()))
        await asyncio.sleep(0.01)
        with pytest.raises(errors.QueueFullError):
            await cp.call(P.HeartbeatRequest())
        with pytest.raises(CallTimeoutError):
            await first
        first_done = time.monotonic()
        with pytest.raises(CallTimeoutError):
            await second
        # both ran out together: the queued one was not given a fresh
        # 0.3 s when it would have gone out
        assert time.monotonic() - first_done < 0.1
        assert peer.inbox.qsize() == 1  # the queued CALL was never sent
        peer.close()
        with pytest.raises(Closed):
            await reader

    run(scenario())


def test_closing_cancels_waiting_calls():
    async def scenario():
        mine, peer = pipe()
        cp = ChargePointSide("CP-6", mine)
        reader = asyncio.ensure_future(cp.start())
        waiting = asyncio.ensure_future(cp.call(P.HeartbeatRequest()))
        await peer.recv()
        peer.close()
        with pytest.raises(Closed):
            await reader
        with pytest.raises(errors.CallCancelledError):
            await waiting
        with pytest.raises(errors.SessionClosedError):
            await cp.call(P.HeartbeatRequest())

    run(scenario())


def test_route_message_answers_before_returning():
    async def scenario():
        mine, peer = pipe()
        cs = CentralSystemSide("CP-5", mine)
        await cs.route_message(json.dumps([2, "m1", "Authorize", {"idTag": "T"}]))
        assert json.loads(mine.sent[-1]) == [
            3,
            "m1",
            {"idTagInfo": {"status": "Accepted"}},
        ]
        await cs.route_message("not json")
        assert json.loads(mine.sent[-1])[:3] == [4, "-1", "FormationViolation"]
        await cs.route_message(json.dumps([2, "m2", "Authorize", {"idTag": "BAD"}]))
        assert json.loads(mine.sent[-1]) == [4, "m2", "SecurityError", "blocked", {}]
        cs.close()

    run(scenario())


def test_unique_id_choices():
    async def scenario():
        mine, peer = pipe()
        cp = ChargePointSide("CP-4", mine)
        cp._unique_id_generator = iter(["gen-1", "gen-2"]).__next__
        reader = asyncio.ensure_future(cp.start())
        waiting = asyncio.ensure_future(cp.call(P.HeartbeatRequest()))
        frame = json.loads(await peer.recv())
        assert frame[1] == "gen-1"
        await peer.send(json.dumps([3, "gen-1", {"currentTime": "2024-01-01T00:00:00Z"}]))
        await waiting
        waiting = asyncio.ensure_future(cp.call(P.HeartbeatRequest(), unique_id="chosen"))
        assert json.loads(await peer.recv())[1] == "chosen"
        peer.close()
        with pytest.raises(Closed):
            await reader
        with pytest.raises(errors.CallCancelledError):
            await waiting

    run(scenario())


def test_invalid_answer_raises_even_when_suppressed():
    async def scenario():
        mine, peer = pipe()
        cp = ChargePointSide("CP-3", mine)
        reader = asyncio.ensure_future(cp.start())
        waiting = asyncio.ensure_future(cp.call(P.HeartbeatRequest()))
        frame = json.loads(await peer.recv())
        await peer.send(json.dumps([3, frame[1], {}]))
        with pytest.raises(errors.OccurenceConstraintViolationError):
            await waiting
        # skip_schema_validation lets the same answer through
        waiting = asyncio.ensure_future(cp.call(P.HeartbeatRequest(), skip_schema_validation=True))
        frame = json.loads(await peer.recv())
        await peer.send(json.dumps([3, frame[1], {"currentTime": "whenever"}]))
        assert (await waiting).current_time == "whenever"
        peer.close()
        with pytest.raises(Closed):
            await reader

    run(scenario())


def test_misuse_raises_before_sending():
    async def scenario():
        mine, peer = pipe()
        cp = ChargePointSide("CP-2", mine)
        with pytest.raises(errors.OutgoingValidationError):
            await cp.call(P.AuthorizeRequest(id_tag="X" * 21))
        with pytest.raises(errors.WrongDirectionError):
            await cp.call(P.ResetRequest(type="Hard"))
        with pytest.raises(errors.PayloadTypeError):
            await cp.call({"idTag": "T"})
        assert mine.sent == []
        cp.close()

    run(scenario())


def test_over_a_real_websocket_on_loopback():
    async def scenario():
        connected = []

        async def serve(websocket):
            central = CentralSystemSide("CP-WS", websocket)
            connected.append(central)
            try:
                await central.start()
            except websockets.ConnectionClosed:
                pass

        async with websockets.serve(serve, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
            port = server.sockets[0].getsockname()[1]
            async with websockets.connect(
                "ws://127.0.0.1:%d/CP-WS" % port, subprotocols=["ocpp1.6"]
            ) as websocket:
                assert websocket.subprotocol == "ocpp1.6"
                device = ChargePointSide("CP-WS", websocket)
                reader = asyncio.ensure_future(device.start())
                response = await device.call(
                    P.BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
                )
                assert response == boot_response()
                result = await connected[0].call(P.ResetRequest(type="Soft"))
                assert result.status == "Accepted"
                await asyncio.wait_for(device.after_reset.wait(), 5)
                await websocket.send("[2,")
                await asyncio.sleep(0.05)
            with pytest.raises(websockets.ConnectionClosed):
                await reader

    run(scenario())


def test_after_hooks_are_bounded():
    from ocppj_aio import charge_point as aio_module

    class Slow(ChargePoint):
        protocol = P

        @on("Reset")
        def reset(self, type):
            return P.ResetResponse(status="Accepted")

        @after("Reset")
        async def hang(self, type):
            await asyncio.Event().wait()

    async def scenario():
        mine, peer = pipe()
        device = Slow("CP-10", mine)
        limit = aio_module.AFTER_TASK_LIMIT
        for index in range(limit + 5):
            await device.route_message(json.dumps([2, "r%d" % index, "Reset", {"type": "Soft"}]))
            peer.inbox.get_nowait()  # the pipe is bounded too
        await asyncio.sleep(0)
        assert len(device._after_tasks) == limit
        # every CALL was still answered
        assert len(mine.sent) == limit + 5
        device.close()
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(device._after_tasks) == 0

    run(scenario())


def test_answer_that_cannot_be_sent_is_reported_not_raised(caplog):
    async def scenario():
        mine, peer = pipe()
        central = CentralSystemSide("CP-11", mine)
        mine.closed = True
        await central.route_message(json.dumps([2, "x", "Authorize", {"idTag": "T"}]))
        central.close()

    run(scenario())
    assert any("answering Authorize x failed" in record.getMessage() for record in caplog.records)
