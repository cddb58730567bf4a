"""Issue 13 items 10 and 11 on real loopback connections: a charge point
that stops reading is dropped (write timeout, outgoing cap), a flooding
charge point does not hold up the others (fair reading), and CALLs sent
without waiting for answers are refused or end the connection (OCPP-J
4.1.1). No wall-clock asserts: the figures are in bench/flood.py."""

import asyncio
import json

import pytest
from ocpp16 import call_result, protocol
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.server import CentralSystem
from transport_support import open_websocket, run, wait_for
from websockets.exceptions import ConnectionClosed


def heartbeat(unique_id):
    return json.dumps([2, unique_id, "Heartbeat", {}])


class Counting(ChargePoint):
    """Answers Heartbeat and DataTransfer; logs (identity, id) per CALL."""

    role = "CentralSystem"
    handled = None  # set per test: a list shared by all connections
    answer_size = 0

    @on("Heartbeat")
    def heartbeat(self):
        self.handled.append(self.id)
        return call_result.Heartbeat(current_time="2026-01-01T00:00:00Z")

    @on("DataTransfer")
    def data_transfer(self, vendor_id, **fields):
        self.handled.append(self.id)
        return call_result.DataTransfer(status="Accepted", data="x" * self.answer_size)


def counting(answer_size=0):
    return type("Counting", (Counting,), {"handled": [], "answer_size": answer_size})


# ------------------------------------------------------------------ stuck reader


def test_stuck_reader_probe_is_dropped_after_the_write_timeout():
    # The charge point floods CALLs with large answers and never reads: the
    # answers fill both socket buffers, sending pauses, and the connection
    # must be dropped rather than stay ESTABLISHED with megabytes stuck.
    factory = counting(answer_size=64 * 1024)

    async def scenario():
        async with CentralSystem(
            factory, protocol=protocol, write_timeout=0.3, call_burst=None
        ) as server:
            websocket = await open_websocket(server.url("CP-STUCK"), max_queue=1)

            async def flood():
                for n in range(2000):
                    await websocket.send(
                        json.dumps([2, "d%d" % n, "DataTransfer", {"vendorId": "probe"}])
                    )

            flooding = asyncio.create_task(flood())
            await wait_for(lambda: server.is_connected("CP-STUCK"))
            link = server.link("CP-STUCK")
            await wait_for(lambda: not server.is_connected("CP-STUCK"), timeout=15)
            assert "write timeout" in link.close_reason
            assert link.close_code == 1006  # aborted: no close frame can get through
            handled = len(factory.handled)
            assert 0 < handled < 2000
            await asyncio.sleep(0.2)
            assert len(factory.handled) == handled  # nothing buffered is handled after the drop
            flooding.cancel()
            websocket.transport.abort()

    run(scenario())


def test_outgoing_bytes_beyond_the_cap_drop_the_connection_at_once():
    async def scenario():
        async with CentralSystem(
            counting(), protocol=protocol, write_timeout=60, max_outgoing_bytes=256 * 1024
        ) as server:
            websocket = await open_websocket(server.url("CP-CAP"), max_queue=1)
            await wait_for(lambda: server.is_connected("CP-CAP"))
            link = server.link("CP-CAP")
            frame = json.dumps([2, "big", "DataTransfer", {"vendorId": "v", "data": "y" * 99000}])
            # Many senders at once, as pushes from an application would be:
            # each adds its frame before waiting for the buffer to drain.
            senders = [asyncio.create_task(link.send(frame)) for _ in range(200)]
            await wait_for(lambda: not server.is_connected("CP-CAP"), timeout=15)
            assert "max_outgoing_bytes (262144)" in link.close_reason
            await asyncio.gather(*senders, return_exceptions=True)
            websocket.transport.abort()

    run(scenario())


# ------------------------------------------------------------------ fair reading


def test_flood_probe_a_backlog_does_not_hold_up_another_charge_point():
    # The flooder's frames arrive in a few network reads; websockets parses
    # each read at once. The healthy charge point's CALL, sent once the
    # flood is being served, must be answered long before the backlog is.
    factory = counting()
    flood = 3000

    async def scenario():
        async with CentralSystem(factory, protocol=protocol, call_burst=None) as server:
            flooder = await open_websocket(server.url("FLOODER"))
            healthy = await open_websocket(server.url("HEALTHY"))
            await wait_for(lambda: len(server.charge_points) == 2)
            for n in range(flood):
                await flooder.send(heartbeat("f%d" % n))
            while "FLOODER" not in factory.handled:
                await asyncio.sleep(0)
            await healthy.send(heartbeat("h"))
            answer = json.loads(await asyncio.wait_for(healthy.recv(), 10))
            assert answer[:2] == [3, "h"]
            position = factory.handled.index("HEALTHY")
            await wait_for(lambda: len(factory.handled) == flood + 1, timeout=15)
            # Fair: a few flood messages per turn of the healthy one; before,
            # the whole backlog (thousands) went first.
            assert position < flood // 10, position
            await flooder.close()
            await healthy.close()

    run(scenario())


# ------------------------------------------------------------------ one CALL at a time


async def _burst(server, identity, count):
    websocket = await open_websocket(server.url(identity))
    await wait_for(lambda: server.is_connected(identity))
    # one write per frame, no wait in between: they arrive together
    for n in range(count):
        await websocket.send(heartbeat("b%d" % n))
    return websocket


def test_calls_beyond_the_burst_sent_without_waiting_are_refused():
    async def scenario():
        async with CentralSystem(counting(), protocol=protocol, call_burst=4) as server:
            websocket = await _burst(server, "CP-B", 20)
            answers = [json.loads(await asyncio.wait_for(websocket.recv(), 5)) for _ in range(20)]
            assert [a[1] for a in answers] == ["b%d" % n for n in range(20)]
            kinds = [a[0] for a in answers]
            # the first and 4 more sent without waiting are served
            assert kinds[:5] == [3] * 5
            assert kinds.count(4) >= 10
            refused = answers[kinds.index(4)]
            assert refused[2] == "GenericError" and "OCPP-J 4.1.1" in refused[3]
            assert server.link("CP-B").refused_calls == kinds.count(4)
            # A charge point that waits for each answer is never refused.
            for n in range(30):
                await websocket.send(heartbeat("w%d" % n))
                answer = json.loads(await asyncio.wait_for(websocket.recv(), 5))
                assert answer[:2] == [3, "w%d" % n]
            await websocket.close()

    run(scenario())


def test_excess_calls_close_policy_ends_the_connection_with_1008():
    async def scenario():
        async with CentralSystem(
            counting(), protocol=protocol, call_burst=2, excess_calls="close"
        ) as server:
            websocket = await _burst(server, "CP-C", 20)
            with pytest.raises(ConnectionClosed):
                for _ in range(20):
                    await asyncio.wait_for(websocket.recv(), 5)
            assert websocket.close_code == 1008
            assert "OCPP-J 4.1.1" in websocket.close_reason
            await wait_for(lambda: not server.is_connected("CP-C"))

    run(scenario())


def test_flow_settings_are_checked():
    from ocppj.errors import UsageError

    for options in ({"excess_calls": "drop"}, {"call_burst": -1}, {"call_burst": "16"}):
        with pytest.raises(UsageError):
            CentralSystem(counting(), protocol=protocol, **options)
