"""Issue 13 item 12: warnings per connection are rate-limited, with a
summary line; the flood-of-invalid-CALLs probe on a real connection."""

import asyncio
import json
import logging

from ocpp16 import protocol
from ocppj_aio.demo import answering_class
from ocppj_aio.logs import DEFAULT_BURST, ConnectionLog
from ocppj_aio.server import CentralSystem
from transport_support import open_websocket, run, wait_for


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def messages(caplog):
    return [record.getMessage() for record in caplog.records]


def test_a_burst_per_interval_then_one_summary_line(caplog):
    clock = FakeClock()
    log = ConnectionLog("CP-1", logging.getLogger("test.logs"), burst=3, interval=10, clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.logs"):
        for n in range(100):
            log.warning("bad frame %d" % n)
        assert messages(caplog) == ["CP-1: bad frame 0", "CP-1: bad frame 1", "CP-1: bad frame 2"]
        clock.now = 10.0
        log.warning("bad frame 100")
        assert messages(caplog)[3:] == [
            "CP-1: 97 more warnings left out in 10 s (at most 3 per interval);"
            " the last: bad frame 99",
            "CP-1: bad frame 100",
        ]
        log.warning("bad frame 101")
        log.warning("bad frame 102")
        log.warning("bad frame 103")
        log.close()
        assert messages(caplog)[-1].startswith("CP-1: 1 more warnings left out")
        assert log.suppressed_total == 98
        log.close()  # nothing new: no second summary
        assert len(caplog.records) == 8


def test_the_name_is_printed_escaped(caplog):
    log = ConnectionLog("CP\n[cs] CP-ADMIN connected", logging.getLogger("test.logs"))
    with caplog.at_level(logging.WARNING, logger="test.logs"):
        log.warning("x")
    assert messages(caplog) == ["CP\\x0a[cs] CP-ADMIN connected: x"]


def test_flood_of_invalid_calls_probe_writes_a_bounded_number_of_lines(caplog):
    flood = 2000

    async def scenario():
        async with CentralSystem(
            answering_class(protocol, "CentralSystem"), protocol=protocol, call_burst=None
        ) as server:
            websocket = await open_websocket(server.url("CP-FLOOD"))
            await wait_for(lambda: server.is_connected("CP-FLOOD"))
            for n in range(flood):
                # chargePointVendor missing: OccurenceConstraintViolation
                await websocket.send(json.dumps([2, "x%d" % n, "BootNotification", {}]))
            answers = [
                json.loads(await asyncio.wait_for(websocket.recv(), 5)) for _ in range(flood)
            ]
            assert {answer[0] for answer in answers} == {4}
            await websocket.close()
            await wait_for(lambda: not server.is_connected("CP-FLOOD"))

    with caplog.at_level(logging.WARNING, logger="ocppj"):
        run(scenario())
    lines = [m for m in messages(caplog) if m.startswith("CP-FLOOD")]
    assert len(lines) == DEFAULT_BURST + 1, lines[-3:]
    assert lines[-1].startswith("CP-FLOOD: %d more warnings left out" % (flood - DEFAULT_BURST))
