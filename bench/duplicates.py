"""Duplicates section: transaction messages handled twice after a charge
point is killed while sending (issue 13 item 14).

A charge point process (ChargePointClient with a queue file) runs
TRANSACTIONS transactions of StartTransaction, two MeterValues and
StopTransaction, each message queued and awaited. The central system runs
here; its handlers note every call and take HANDLER_DELAY s (a database
write). Each KILL_EVERY-th transaction message the central system
receives, the charge point is killed with SIGKILL while that handler
runs (its answer is lost) and started again on the same queue file; KILLS
times in all. Printed: messages queued, handler calls, duplicates
(handler calls beyond the first for the same payload), transactions
opened twice, and the repeats the detector answered from memory.

Run with duplicate detection (``CentralSystem(duplicates=True)``) where
the checkout has it, and without, in the same run; the same file measures
an older checkout for the before figure: ``python -m bench.duplicates``.
"""

import asyncio
import inspect
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSACTIONS = 6
KILLS = 8
KILL_EVERY = 3
HANDLER_DELAY = 0.05


def _plan():
    """(action, wire payload) of every message, in order; payloads differ."""
    steps = []
    for t in range(TRANSACTIONS):
        meter = 1000 * t
        stamp = "2026-01-01T00:%02d:%02dZ"
        steps.append(
            (
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": "TAG",
                    "meterStart": meter,
                    "timestamp": stamp % (t, 0),
                },
            )
        )
        for m in (1, 2):
            steps.append(
                (
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "transactionId": 0,
                        "meterValue": [
                            {
                                "timestamp": stamp % (t, m),
                                "sampledValue": [{"value": str(meter + 100 * m)}],
                            }
                        ],
                    },
                )
            )
        steps.append(
            (
                "StopTransaction",
                {"transactionId": 0, "meterStop": meter + 300, "timestamp": stamp % (t, 3)},
            )
        )
    return steps


# ------------------------------------------------------------------ the charge point


async def _charge_point(url, folder):
    from ocpp16 import call, protocol
    from ocppj_aio.client import ChargePointClient
    from ocppj_aio.demo import answering_class

    progress_path = os.path.join(folder, "progress.json")
    try:
        with open(progress_path) as handle:
            progress = json.load(handle)
    except FileNotFoundError:
        progress = {"next": 0, "transaction": None}
    client = ChargePointClient(
        url,
        protocol=protocol,
        queue=os.path.join(folder, "queue.jsonl"),
        reconnect_delay=0.05,
        reconnect_max_delay=0.2,
        boot_notification=call.BootNotification(charge_point_vendor="V", charge_point_model="M"),
        charge_point_factory=answering_class(protocol, "ChargePoint"),
    )
    steps = _plan()
    async with client:
        while client.queue:  # what a kill left undelivered goes first
            await asyncio.sleep(0.01)
        while progress["next"] < len(steps):
            action, wire = steps[progress["next"]]
            request = protocol.decode_request(action, wire)
            reference = None if action == "StartTransaction" else progress["transaction"]
            delivery = client.enqueue(request, transaction=reference)
            if action == "StartTransaction":
                progress["transaction"] = delivery.transaction
            progress["next"] += 1
            with open(progress_path + ".tmp", "w") as handle:
                json.dump(progress, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(progress_path + ".tmp", progress_path)
            while client.queue:
                await asyncio.sleep(0.005)


# ------------------------------------------------------------------ the central system


async def _measure(detect):
    from ocpp16 import call_result, protocol
    from ocppj.routing import on
    from ocppj_aio.charge_point import ChargePoint
    from ocppj_aio.server import CentralSystem

    calls = []  # (action, canonical payload) per handler call
    opened = []
    state = {"child": None, "kills": 0}
    folder = tempfile.mkdtemp(prefix="ocppj-duplicates-")

    def spawn():
        state["child"] = subprocess.Popen(
            [sys.executable, "-m", "bench.duplicates", "charge-point", server.url("CP-K"), folder],
            cwd=ROOT,
        )

    async def noted(action, fields):
        calls.append((action, repr(sorted(fields.items()))))
        received = len(calls)
        if state["kills"] < KILLS and received % KILL_EVERY == 0:
            state["kills"] += 1
            state["child"].send_signal(signal.SIGKILL)
            state["child"].wait()
            spawn()
        await asyncio.sleep(HANDLER_DELAY)

    class Billing(ChargePoint):
        role = "CentralSystem"

        @on("BootNotification")
        def boot(self, **fields):
            return call_result.BootNotification(
                status="Accepted", current_time="2026-01-01T00:00:00Z", interval=300
            )

        @on("StartTransaction")
        async def start_transaction(self, **fields):
            await noted("StartTransaction", fields)
            opened.append(fields["meter_start"])
            return call_result.StartTransaction(
                transaction_id=len(opened), id_tag_info={"status": "Accepted"}
            )

        @on("MeterValues")
        async def meter_values(self, **fields):
            await noted("MeterValues", fields)
            return call_result.MeterValues()

        @on("StopTransaction")
        async def stop_transaction(self, **fields):
            await noted("StopTransaction", fields)
            return call_result.StopTransaction()

    options = {}
    if detect:
        options["duplicates"] = True
    server = CentralSystem(Billing, protocol=protocol, **options)
    await server.start()
    spawn()
    try:
        loop = asyncio.get_running_loop()
        while True:
            code = await loop.run_in_executor(None, _wait_child, state)
            if code == 0:
                break
            if code != "restarted":
                raise RuntimeError("the charge point process failed (%s)" % code)
    finally:
        if state["child"].poll() is None:
            state["child"].kill()
        await server.close()
    steps = _plan()
    handled = {}
    for action, text in calls:
        handled[(action, text)] = handled.get((action, text), 0) + 1
    starts = [n for (action, _), n in handled.items() if action == "StartTransaction"]
    return {
        "detection": detect,
        "kills": state["kills"],
        "messages": len(steps),
        "handler_calls": len(calls),
        "distinct_handled": len(handled),
        "duplicates": len(calls) - len(handled),
        "transactions_opened": len(opened),
        "transactions_opened_twice": sum(1 for n in starts if n > 1),
        "repeats_answered_from_memory": getattr(server.duplicates, "repeats", 0)
        if getattr(server, "duplicates", None)
        else 0,
    }


def _wait_child(state):
    child = state["child"]
    code = child.wait()
    if code == -signal.SIGKILL:  # ours: wait until its successor is there
        while state["child"] is child:
            time.sleep(0.005)
        return "restarted"
    return code


def run():
    from ocppj_aio.server import CentralSystem

    from . import results

    modes = [False]
    if "duplicates" in inspect.signature(CentralSystem.__init__).parameters:
        modes.append(True)
    rows = []
    data = []
    for detect in modes:
        figures = asyncio.run(_measure(detect))
        data.append(figures)
        rows.append(
            (
                "on" if detect else "off",
                figures["kills"],
                figures["messages"],
                figures["handler_calls"],
                figures["duplicates"],
                figures["transactions_opened"],
                figures["transactions_opened_twice"],
                figures["repeats_answered_from_memory"],
            )
        )
    print(
        "%d transactions (Start, 2 MeterValues, Stop); the charge point killed with SIGKILL"
        " %d times while a handler ran" % (TRANSACTIONS, KILLS)
    )
    print(
        results.table(
            (
                "detection",
                "kills",
                "messages",
                "handler calls",
                "duplicates",
                "opened",
                "opened twice",
                "repeats answered",
            ),
            rows,
        )
    )
    results.write("duplicates", {"runs": data})


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "charge-point":
        asyncio.run(_charge_point(sys.argv[2], sys.argv[3]))
    else:
        run()
