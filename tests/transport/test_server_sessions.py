"""Central system sessions: server.call, duplicates, hooks, liveness,
graceful shutdown."""

import asyncio
import base64
import json
import os
import struct

import pytest
from ocpp16 import call, protocol
from ocppj.errors import CallCancelledError, CallTimeoutError
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.demo import answering_class
from ocppj_aio.server import CentralSystem, NotConnectedError
from transport_support import (
    HOST,
    open_websocket,
    recording_central_system,
    run,
    wait_for,
)
from websockets.exceptions import ConnectionClosed

AnsweringChargePoint = answering_class(protocol, "ChargePoint")


def central_system(**options):
    options.setdefault("protocol", protocol)
    factory = options.pop("factory", None) or recording_central_system()
    return CentralSystem(factory, **options)


async def charge_point_over(url, cls=AnsweringChargePoint, **options):
    """A charge point-side ChargePoint reading from a real connection."""
    websocket = await open_websocket(url)
    charge_point = cls(url.rsplit("/", 1)[-1], websocket, protocol=protocol, **options)
    reader = asyncio.create_task(_read(charge_point))
    return websocket, charge_point, reader


async def _read(charge_point):
    try:
        await charge_point.start()
    except ConnectionClosed:
        pass


# ------------------------------------------------------------------ server.call


def test_call_reaches_the_connected_charge_point_and_returns_the_typed_response():
    async def scenario():
        async with central_system() as server:
            websocket, _, reader = await charge_point_over(server.url("CP-1"))
            await wait_for(lambda: server.is_connected("CP-1"))
            response = await server.call("CP-1", call.Reset(type="Soft"))
            assert type(response).__name__ == "Reset"
            assert response.status == "Accepted"
            configuration = await server.call("CP-1", call.GetConfiguration())
            assert configuration.configuration_key == []
            await websocket.close()
            await reader

    run(scenario())


def test_call_to_a_charge_point_that_is_not_connected_says_so():
    async def scenario():
        async with central_system() as server:
            with pytest.raises(NotConnectedError) as caught:
                await server.call("CP-404", call.Reset(type="Hard"))
            assert caught.value.charge_point_id == "CP-404"
            assert "CP-404" in str(caught.value)
            with pytest.raises(NotConnectedError):
                server.link("CP-404")

    run(scenario())


def test_a_charge_point_that_disconnects_mid_call_fails_the_call():
    class SlowChargePoint(ChargePoint):
        role = "ChargePoint"

        @on("Reset")
        async def reset(self, **fields):
            await asyncio.sleep(30)

    async def scenario():
        async with central_system() as server:
            websocket, _, reader = await charge_point_over(server.url("CP-1"), SlowChargePoint)
            await wait_for(lambda: server.is_connected("CP-1"))
            pending = asyncio.create_task(server.call("CP-1", call.Reset(type="Soft")))
            await asyncio.sleep(0.1)
            await websocket.close()
            with pytest.raises(CallCancelledError):
                await pending
            await reader
            await wait_for(lambda: not server.is_connected("CP-1"))

    run(scenario())


def test_call_without_answer_times_out():
    class SilentChargePoint(ChargePoint):
        role = "ChargePoint"

        @on("Reset")
        async def reset(self, **fields):
            await asyncio.sleep(30)

    async def scenario():
        async with central_system(response_timeout=0.3) as server:
            websocket, _, reader = await charge_point_over(server.url("CP-1"), SilentChargePoint)
            await wait_for(lambda: server.is_connected("CP-1"))
            with pytest.raises(CallTimeoutError):
                await server.call("CP-1", call.Reset(type="Soft"))
            await websocket.close()
            await reader

    run(scenario())


# ------------------------------------------------------------------ hooks


def test_hooks_run_in_order_and_a_failing_hook_does_not_break_the_connection():
    events = []

    class Hooked(CentralSystem):
        async def on_connect(self, charge_point, link):
            events.append(("connect", charge_point.id, link.subprotocol))
            raise RuntimeError("hook bug")

        async def on_disconnect(self, charge_point, link):
            events.append(("disconnect", charge_point.id, link.close_code))

    async def scenario():
        async with Hooked(recording_central_system(), protocol=protocol) as server:
            websocket, charge_point, reader = await charge_point_over(server.url("CP-7"))
            response = await charge_point.call(call.Heartbeat())
            assert response.current_time.endswith("Z")
            await websocket.close(1000, "bye")
            await reader
            await wait_for(lambda: len(events) == 2)
        assert events == [("connect", "CP-7", "ocpp1.6"), ("disconnect", "CP-7", 1000)]

    run(scenario())


def test_constructor_hooks_may_be_sync_or_async():
    events = []

    async def connected(charge_point, link):
        events.append("connect " + charge_point.id)

    def disconnected(charge_point, link):
        events.append("disconnect %s %s" % (charge_point.id, link.close_reason))

    async def scenario():
        async with central_system(on_connect=connected, on_disconnect=disconnected) as server:
            websocket, _, reader = await charge_point_over(server.url("CP-8"))
            await wait_for(lambda: events == ["connect CP-8"])
            await websocket.close(1000, "done here")
            await reader
            await wait_for(lambda: len(events) == 2)
        assert events == ["connect CP-8", "disconnect CP-8 done here"]

    run(scenario())


def test_handler_stub_subclass_answers_calls():
    from ocpp16 import call_result
    from ocpp16.handlers import CentralSystemHandlers

    class Stubbed(ChargePoint, CentralSystemHandlers):
        def on_heartbeat(self):
            return call_result.Heartbeat(current_time="2024-01-01T00:00:00Z")

    async def scenario():
        async with central_system(factory=Stubbed) as server:
            websocket, charge_point, reader = await charge_point_over(server.url("CP-S"))
            response = await charge_point.call(call.Heartbeat())
            assert response.current_time == "2024-01-01T00:00:00Z"
            # a stub that is not overridden answers NotSupported
            with pytest.raises(Exception) as caught:
                await charge_point.call(call.Authorize(id_tag="X"), suppress=False)
            assert getattr(caught.value, "code", None) == "NotSupported"
            await websocket.close()
            await reader

    run(scenario())


# ------------------------------------------------------------------ duplicates


def test_duplicate_identity_replaces_the_old_connection_by_default():
    events = []

    async def scenario():
        async with central_system(
            on_connect=lambda cp, link: events.append(("connect", id(link))),
            on_disconnect=lambda cp, link: events.append(("disconnect", id(link), link.close_code)),
        ) as server:
            old_ws, _, old_reader = await charge_point_over(server.url("CP-1"))
            await wait_for(lambda: server.is_connected("CP-1"))
            first = server.link("CP-1")
            new_ws, _, new_reader = await charge_point_over(server.url("CP-1"))
            await old_reader
            assert old_ws.close_code == 1000
            assert old_ws.close_reason == "replaced by a new connection"
            await wait_for(lambda: server.is_connected("CP-1") and server.link("CP-1") is not first)
            second = server.link("CP-1")
            assert events == [
                ("connect", id(first)),
                ("disconnect", id(first), 1000),
                ("connect", id(second)),
            ]
            response = await server.call("CP-1", call.ClearCache())
            assert response.status == "Accepted"
            await new_ws.close()
            await new_reader

    run(scenario())


def test_duplicate_identity_can_be_refused_with_409():
    from websockets.exceptions import InvalidStatus

    async def scenario():
        async with central_system(on_duplicate="refuse") as server:
            old_ws, _, old_reader = await charge_point_over(server.url("CP-1"))
            await wait_for(lambda: server.is_connected("CP-1"))
            with pytest.raises(InvalidStatus) as caught:
                await open_websocket(server.url("CP-1"))
            assert caught.value.response.status_code == 409
            assert b"already connected" in caught.value.response.body
            assert old_ws.close_code is None
            await old_ws.close()
            await old_reader
            await wait_for(lambda: not server.is_connected("CP-1"))
            again = await open_websocket(server.url("CP-1"))
            await again.close()

    run(scenario())


# ------------------------------------------------------------------ shutdown


def test_graceful_shutdown_fails_pending_calls_and_closes_with_1001():
    class SlowChargePoint(ChargePoint):
        role = "ChargePoint"

        @on("Reset")
        async def reset(self, **fields):
            await asyncio.sleep(30)

    disconnected = []

    async def scenario():
        server = central_system(on_disconnect=lambda cp, link: disconnected.append(cp.id))
        await server.start()
        sockets = []
        for identity in ("CP-A", "CP-B"):
            sockets.append(await charge_point_over(server.url(identity), SlowChargePoint))
        await wait_for(lambda: len(server.charge_points) == 2)
        pending = asyncio.create_task(server.call("CP-A", call.Reset(type="Soft")))
        await asyncio.sleep(0.1)
        await server.close()
        with pytest.raises(CallCancelledError):
            await pending
        for websocket, _, reader in sockets:
            await reader
            assert websocket.close_code == 1001
            assert websocket.close_reason == "central system shutting down"
        assert sorted(disconnected) == ["CP-A", "CP-B"]
        assert server.charge_points == {}
        await server.close()  # idempotent

    run(scenario())


# ------------------------------------------------------------------ liveness


def test_idle_connection_is_closed_after_idle_timeout():
    async def scenario():
        async with central_system(idle_timeout=0.3) as server:
            websocket, charge_point, reader = await charge_point_over(server.url("CP-1"))
            # Traffic keeps it open ...
            for _ in range(3):
                await asyncio.sleep(0.15)
                await charge_point.call(call.Heartbeat())
            assert websocket.close_code is None
            # ... silence closes it.
            await asyncio.wait_for(reader, 3)
            assert websocket.close_code == 1000
            assert websocket.close_reason == "idle timeout"

    run(scenario())


def test_heartbeat_aware_idle_timeout_uses_the_interval_given_at_boot():
    async def scenario():
        factory = recording_central_system({"BootNotification": {"interval": 1}})
        async with central_system(
            factory=factory, idle_timeout="heartbeat", idle_heartbeats=1, idle_grace=0.2
        ) as server:
            websocket, charge_point, reader = await charge_point_over(server.url("CP-1"))
            await wait_for(lambda: server.is_connected("CP-1"))
            link = server.link("CP-1")
            assert link.heartbeat_interval is None
            loop = asyncio.get_running_loop()
            booted_at = loop.time()
            await charge_point.call(
                call.BootNotification(charge_point_vendor="V", charge_point_model="M")
            )
            await wait_for(lambda: link.heartbeat_interval == 1)
            await asyncio.wait_for(reader, 5)
            quiet = loop.time() - booted_at
            assert websocket.close_reason == "idle timeout"
            assert 1.0 <= quiet < 4.5

    run(scenario())


def test_only_an_accepted_boot_answer_sets_the_heartbeat_interval():
    async def scenario():
        boot = {"currentTime": "2024-05-01T12:00:00Z"}
        factory = recording_central_system(
            answers={
                "BootNotification": [
                    dict(boot, status="Pending", interval=7),
                    dict(boot, status="Accepted", interval=9),
                ]
            }
        )
        async with central_system(factory=factory) as server:
            websocket, charge_point, reader = await charge_point_over(server.url("CP-1"))
            await wait_for(lambda: server.is_connected("CP-1"))
            link = server.link("CP-1")
            request = call.BootNotification(charge_point_vendor="V", charge_point_model="M")
            pending = await charge_point.call(request)
            assert pending.interval == 7
            # other CALLRESULTs leave it alone as well
            await charge_point.call(call.Heartbeat())
            assert link.heartbeat_interval is None
            await charge_point.call(request)
            await wait_for(lambda: link.heartbeat_interval == 9)
            await websocket.close()
            await reader

    run(scenario())


def test_change_configuration_of_heartbeat_interval_updates_the_idle_limit():
    async def scenario():
        async with central_system(idle_timeout="heartbeat") as server:
            websocket, _, reader = await charge_point_over(server.url("CP-1"))
            await wait_for(lambda: server.is_connected("CP-1"))
            await server.call("CP-1", call.ChangeConfiguration(key="HeartbeatInterval", value="42"))
            assert server.link("CP-1").heartbeat_interval == 42
            await websocket.close()
            await reader

    run(scenario())


async def _raw_handshake(port, path):
    """A hand-made WebSocket client that never answers pings."""
    reader, writer = await asyncio.open_connection(HOST, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n" % (path, HOST, port, key)
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def _read_frame(reader):
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    return first & 0x0F, await reader.readexactly(length)


def test_websocket_pings_detect_a_dead_peer():
    async def scenario():
        async with central_system(ping_interval=0.2, ping_timeout=0.3, close_timeout=0.5) as server:
            reader, writer = await _raw_handshake(server.port, "/CP-DEAD")
            await wait_for(lambda: server.is_connected("CP-DEAD"))
            opcode, _ = await asyncio.wait_for(_read_frame(reader), 2)
            assert opcode == 0x9  # ping; we never answer it
            await wait_for(lambda: not server.is_connected("CP-DEAD"), timeout=3)
            writer.close()

    run(scenario())


def test_frames_from_a_raw_client_are_answered():
    # Sanity of the raw client above: a masked text frame gets a CALLRESULT.
    async def scenario():
        async with central_system(ping_interval=None) as server:
            reader, writer = await _raw_handshake(server.port, "/CP-RAW")
            payload = json.dumps([2, "42", "Heartbeat", {}]).encode()
            mask = os.urandom(4)
            masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
            opcode, data = await asyncio.wait_for(_read_frame(reader), 2)
            assert opcode == 0x1
            frame = json.loads(data)
            assert frame[:2] == [3, "42"] and "currentTime" in frame[2]
            writer.close()

    run(scenario())


def _interop_requests():
    # One valid request per action, kept by the interop suite.
    import importlib.util

    path = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "interop",
        "payloads.py",
    )
    spec = importlib.util.spec_from_file_location("interop_payloads_for_transport", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.REQUESTS


def test_demo_peers_answer_every_action_over_a_real_connection():
    # What `ocppj serve` and `ocppj simulate` rely on: each side's
    # answer-everything class gives a schema-valid answer to every action.
    requests = _interop_requests()

    async def scenario():
        answering_cs = answering_class(protocol, "CentralSystem")
        async with central_system(factory=answering_cs) as server:
            websocket, charge_point, reader = await charge_point_over(server.url("CP-ALL"))
            await wait_for(lambda: server.is_connected("CP-ALL"))
            answered = []
            for action, (initiator, _) in sorted(protocol.ACTIONS.items()):
                request = protocol.decode_request(action, requests[action])
                if initiator in ("CentralSystem", "Both"):
                    response = await server.call("CP-ALL", request, suppress=False)
                    answered.append(("cs->cp", action, type(response).__name__))
                if initiator in ("ChargePoint", "Both"):
                    response = await charge_point.call(request, suppress=False)
                    answered.append(("cp->cs", action, type(response).__name__))
            await websocket.close()
            await reader
        assert all(action == name for _, action, name in answered)
        assert len(answered) == len(protocol.ACTIONS) + 1  # DataTransfer both ways

    run(scenario())


# ------------------------------------------------------------------ what the log says


def test_a_handler_exception_is_logged_with_its_traceback(caplog):
    # issue 13 item 4: it was one WARNING with the exception's repr only.
    class Buggy(ChargePoint):
        role = "CentralSystem"

        @on("Heartbeat")
        def heartbeat(self):
            return {"not": "a response"}["missing"]  # a KeyError in application code

    async def scenario():
        async with central_system(factory=Buggy) as server:
            websocket = await open_websocket(server.url("CP-B"))
            await websocket.send('[2,"h1","Heartbeat",{}]')
            answer = json.loads(await websocket.recv())
            await websocket.close()
        return answer

    with caplog.at_level("INFO", logger="ocppj"):
        answer = run(scenario())
    assert answer[:3] == [4, "h1", "InternalError"]
    records = [r for r in caplog.records if "the handler for Heartbeat h1" in r.getMessage()]
    assert len(records) == 1
    record = records[0]
    assert record.levelname == "ERROR"
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    traceback_text = caplog.text
    assert "Traceback (most recent call last)" in traceback_text
    assert 'return {"not": "a response"}["missing"]' in traceback_text  # the line


def test_refusals_are_logged_at_info_with_their_reason(caplog):
    async def scenario():
        async with central_system() as server:
            for path, subprotocols in (("", ("ocpp1.6",)), ("/CP-1", ("ocpp2.0.1",))):
                try:
                    await open_websocket(server.url() + path, subprotocols=subprotocols)
                except Exception:
                    pass

    with caplog.at_level("INFO", logger="ocppj.server"):
        run(scenario())
    refusals = [r for r in caplog.records if r.name == "ocppj.server" and "refused" in r.msg]
    assert [r.levelname for r in refusals] == ["INFO", "INFO"]
    assert "404 no charge point identity at the end of the URL path" in refusals[0].getMessage()
    assert "400 unsupported subprotocol ocpp2.0.1" in refusals[1].getMessage()


def test_a_session_ended_by_an_error_closes_with_1011_not_1000():
    class Failing(ChargePoint):
        role = "CentralSystem"

        async def start(self):
            raise RuntimeError("a bug in the reading loop")

    async def scenario():
        async with central_system(factory=Failing) as server:
            websocket = await open_websocket(server.url("CP-E"))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(websocket.recv(), 10)
            return websocket.close_code, websocket.close_reason

    assert run(scenario()) == (1011, "internal error")


def test_an_info_frame_log_like_mobilityhouses_is_off_by_default(caplog):
    async def exchange(**options):
        async with central_system(**options) as server:
            websocket, charge_point, reader = await charge_point_over(
                server.url("CP-F"), log_frames=options.get("log_frames", False)
            )
            await charge_point.call(call.Heartbeat())
            await websocket.close()
            await reader

    with caplog.at_level("DEBUG"):
        run(exchange())
    assert not [r for r in caplog.records if r.name == "ocppj.frames"]

    caplog.clear()
    with caplog.at_level("INFO", logger="ocppj.frames"):
        run(exchange(log_frames=True))
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "ocppj.frames"]
    # both ends log: the central system (options passed to its ChargePoint)
    # and the charge point, each a send and a receive
    assert len(lines) == 4 and {level for level, _ in lines} == {"INFO"}
    sent = [text for _, text in lines if text.startswith("CP-F: send [2,")]
    received = [text for _, text in lines if text.startswith("CP-F: receive message [2,")]
    assert len(sent) == 1 and len(received) == 1
    assert '"Heartbeat"' in sent[0] and '"Heartbeat"' in received[0]
    assert any(text.startswith("CP-F: send [3,") for _, text in lines)
    assert any(text.startswith("CP-F: receive message [3,") for _, text in lines)
