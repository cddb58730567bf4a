"""Runtime section: one charge-point CALL through the whole receive path, on
a central system, against mobilityhouse `ocpp` 2.1.0's ChargePoint.

Each message goes frame text in → frame checks → validated request →
typed/keyword arguments → handler → response object → validated response
→ CALLRESULT text out. The frames are bench/frames.py's; every side has a
handler for each action of the mix that answers with the same valid
response (fixed times, so the handlers do equal work), and every side's
answer is checked to be that CALLRESULT before anything is timed. No
sockets: the answer goes to a fake connection whose ``send`` only keeps it.

Contenders:

  ours core      the sans-IO ocppj.session.Session + ocppj.routing.Router,
                 pumped synchronously (receive_text, prepare, handler,
                 answer, data_to_send), the way a pump drives them
  ours sync      ocppj.charge_point.ChargePoint.route_message, the sync
                 facade (adds the clock read and the event dispatch)
  ours asyncio   ocppj_aio.charge_point.ChargePoint.route_message, awaited:
                 what a CPython user of the asyncio facade sees
  mh shipped     mobilityhouse ChargePoint.route_message as shipped:
                 ASYNC_VALIDATION on, so both schema checks (request and
                 response) run in the loop's default thread pool
  mh inline      the same with ocpp.messages.ASYNC_VALIDATION = False (their
                 fastest configuration: the checks run inline)

Handlers are plain (sync) methods on every side; bench/hotpath.py has the
async-handler, start()-loop view. Every contender runs its batch inside one
coroutine on one event loop (``loop.run_until_complete`` per batch), the
sync ones too, so the loop's per-batch cost falls on all alike.

Clock: CPU time of the whole process (time.process_time), not the thread's:
mobilityhouse as shipped validates in a worker thread, and that work must
count. Waiting for the worker is not CPU time, so its latency is left out
(that favours mobilityhouse); wall-clock medians are kept in the JSON.
Rounds interleave the contenders (order flips each round); median of rounds.
"""

import asyncio
import gc
import json
import math
import platform
import statistics
import time

from ocpp import messages as mh_messages
from ocpp.routing import on as mh_on
from ocpp.v16 import ChargePoint as MhChargePoint
from ocpp.v16 import call_result as mh_call_result
from ocpp.v16 import datatypes as mh_datatypes
from ocpp.v16 import enums as mh_enums
from ocpp.v16.enums import Action as MhAction
from ocpp16 import call_result, datatypes, enums, protocol
from ocppj import charge_point as sync_facade
from ocppj.routing import Router, on
from ocppj.session import CENTRAL_SYSTEM, Session
from ocppj_aio import charge_point as aio_facade

from . import frames, mobilityhouse, results, timing

# Fixed answer values: the same work on every side, every time.
CURRENT_TIME = "2024-05-17T09:41:28.000Z"
EXPIRY_DATE = "2024-06-17T00:00:00Z"
PARENT_ID_TAG = "FLEET-0042"
TRANSACTION_ID = 48213
HEARTBEAT_INTERVAL = 300
DATA_TRANSFER_REPLY = '{"ack":true}'

# The CALLRESULT payload each action must be answered with.
EXPECTED_ANSWERS = {
    "BootNotification": {
        "status": "Accepted",
        "currentTime": CURRENT_TIME,
        "interval": HEARTBEAT_INTERVAL,
    },
    "Heartbeat": {"currentTime": CURRENT_TIME},
    "StatusNotification": {},
    "Authorize": {
        "idTagInfo": {"status": "Accepted", "expiryDate": EXPIRY_DATE, "parentIdTag": PARENT_ID_TAG}
    },
    "StartTransaction": {
        "idTagInfo": {
            "status": "Accepted",
            "expiryDate": EXPIRY_DATE,
            "parentIdTag": PARENT_ID_TAG,
        },
        "transactionId": TRANSACTION_ID,
    },
    "MeterValues": {},
    "StopTransaction": {"idTagInfo": {"status": "Accepted"}},
    "DataTransfer": {"status": "Accepted", "data": DATA_TRANSFER_REPLY},
}


# ------------------------------------------------------------------ ours


def _our_id_tag_info():
    return datatypes.IdTagInfo(
        status=enums.AuthorizationStatus.accepted,
        expiry_date=EXPIRY_DATE,
        parent_id_tag=PARENT_ID_TAG,
    )


class OurCentralSystemHandlers:
    """Central-system handlers for the actions of the mix (sync)."""

    @on("BootNotification")
    def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return call_result.BootNotification(
            status=enums.RegistrationStatus.accepted,
            current_time=CURRENT_TIME,
            interval=HEARTBEAT_INTERVAL,
        )

    @on("Heartbeat")
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=CURRENT_TIME)

    @on("StatusNotification")
    def on_status_notification(self, connector_id, error_code, status, **kwargs):
        return call_result.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag, **kwargs):
        return call_result.Authorize(id_tag_info=_our_id_tag_info())

    @on("StartTransaction")
    def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return call_result.StartTransaction(
            id_tag_info=_our_id_tag_info(), transaction_id=TRANSACTION_ID
        )

    @on("MeterValues")
    def on_meter_values(self, connector_id, meter_value, **kwargs):
        return call_result.MeterValues()

    @on("StopTransaction")
    def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        return call_result.StopTransaction(
            id_tag_info=datatypes.IdTagInfo(status=enums.AuthorizationStatus.accepted)
        )

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(
            status=enums.DataTransferStatus.accepted, data=DATA_TRANSFER_REPLY
        )


class CorePump:
    """The sans-IO session and the router, pumped by hand: what every facade
    does per message, minus its clock and its I/O."""

    def __init__(self):
        self.session = Session(protocol, CENTRAL_SYSTEM)
        self.router = Router(OurCentralSystemHandlers(), protocol)
        self.last = None

    def route(self, text, now=0.0):
        session = self.session
        for event in session.receive_text(text, now):
            if event.kind != "CallReceived":
                continue
            handler, kwargs, afters = self.router.prepare(event)
            try:
                answer, _ = session.answer(event.unique_id, handler(**kwargs))
            except Exception as exc:
                answer, _ = session.answer(event.unique_id, exception=exc)
            if answer == "result":
                for after, after_kwargs in afters:
                    after(**after_kwargs)
        for frame in session.data_to_send():
            self.last = frame


class KeepLast:
    """A connection whose send only keeps the frame (sync facade)."""

    last = None

    def send(self, text):
        self.last = text


class AsyncKeepLast:
    """A connection whose ``async send`` only keeps the frame."""

    last = None

    async def send(self, text):
        self.last = text


class OurSyncChargePoint(OurCentralSystemHandlers, sync_facade.ChargePoint):
    pass


class OurAsyncioChargePoint(OurCentralSystemHandlers, aio_facade.ChargePoint):
    pass


# ------------------------------------------------------------------ theirs


def _their_id_tag_info():
    return mh_datatypes.IdTagInfo(
        status=mh_enums.AuthorizationStatus.accepted,
        expiry_date=EXPIRY_DATE,
        parent_id_tag=PARENT_ID_TAG,
    )


class TheirCentralSystem(MhChargePoint):
    """mobilityhouse central-system handlers for the same actions (sync)."""

    @mh_on(MhAction.boot_notification)
    def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return mh_call_result.BootNotification(
            current_time=CURRENT_TIME,
            interval=HEARTBEAT_INTERVAL,
            status=mh_enums.RegistrationStatus.accepted,
        )

    @mh_on(MhAction.heartbeat)
    def on_heartbeat(self, **kwargs):
        return mh_call_result.Heartbeat(current_time=CURRENT_TIME)

    @mh_on(MhAction.status_notification)
    def on_status_notification(self, connector_id, error_code, status, **kwargs):
        return mh_call_result.StatusNotification()

    @mh_on(MhAction.authorize)
    def on_authorize(self, id_tag, **kwargs):
        return mh_call_result.Authorize(id_tag_info=_their_id_tag_info())

    @mh_on(MhAction.start_transaction)
    def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return mh_call_result.StartTransaction(
            transaction_id=TRANSACTION_ID, id_tag_info=_their_id_tag_info()
        )

    @mh_on(MhAction.meter_values)
    def on_meter_values(self, connector_id, meter_value, **kwargs):
        return mh_call_result.MeterValues()

    @mh_on(MhAction.stop_transaction)
    def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        return mh_call_result.StopTransaction(
            id_tag_info=mh_datatypes.IdTagInfo(status=mh_enums.AuthorizationStatus.accepted)
        )

    @mh_on(MhAction.data_transfer)
    def on_data_transfer(self, vendor_id, **kwargs):
        return mh_call_result.DataTransfer(
            status=mh_enums.DataTransferStatus.accepted, data=DATA_TRANSFER_REPLY
        )


# ------------------------------------------------------------------ timing


class CpuAndWall:
    """Interleaved medians like bench/timing.py, on the process CPU clock
    (worker threads included), with wall time recorded beside it."""

    def __init__(self, rounds=None, target=None):
        self.rounds = timing.ROUNDS if rounds is None else rounds
        self.target = timing.TARGET_SECONDS if target is None else target

    @staticmethod
    def _sample(fn, batch):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            cpu = time.process_time()
            wall = time.perf_counter()
            fn(batch)
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
        finally:
            if was_enabled:
                gc.enable()
        return cpu / len(batch), wall / len(batch)

    def _batch(self, fn, items):
        fn(items)  # warm-up
        # process_time ticks coarsely on some systems: size on wall time too
        cpu, wall = self._sample(fn, items)
        once = max(cpu, wall, 1e-9) * len(items)
        return list(items) * max(1, math.ceil(self.target / once))

    def compare(self, contenders):
        """contenders: {name: (fn, items)}; returns {name: {"cpu", "wall",
        "cpu_min", "cpu_max", "batch"}} in seconds per item."""
        batches = {name: self._batch(fn, items) for name, (fn, items) in contenders.items()}
        samples = {name: [] for name in contenders}
        names = list(contenders)
        for index in range(self.rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                samples[name].append(self._sample(contenders[name][0], batches[name]))
        figures = {}
        for name, values in samples.items():
            cpus = [cpu for cpu, _ in values]
            figures[name] = {
                "cpu": statistics.median(cpus),
                "cpu_min": min(cpus),
                "cpu_max": max(cpus),
                "wall": statistics.median(wall for _, wall in values),
                "batch": len(batches[name]),
            }
        return figures


# ------------------------------------------------------------------ contenders


class Contenders:
    """The five ways of routing a batch, sharing one event loop."""

    NAMES = ("ours_core", "ours_sync", "ours_asyncio", "mh_shipped", "mh_inline")

    def __init__(self, loop):
        self.loop = loop
        self.core = CorePump()
        self.sync_link = KeepLast()
        self.sync_cp = OurSyncChargePoint("CP-1", self.sync_link, protocol=protocol)
        self.aio_link = AsyncKeepLast()
        self.aio_cp = OurAsyncioChargePoint("CP-1", self.aio_link, protocol=protocol)
        self.mh_link = AsyncKeepLast()
        self.mh_cp = TheirCentralSystem("CP-1", self.mh_link)
        self.shipped_async_validation = mh_messages.ASYNC_VALIDATION

    # Batch coroutines: one per contender, the loop body is all that differs.

    async def _ours_core(self, texts):
        route = self.core.route
        for text in texts:
            route(text)

    async def _ours_sync(self, texts):
        route = self.sync_cp.route_message
        for text in texts:
            route(text)

    async def _ours_asyncio(self, texts):
        route = self.aio_cp.route_message
        for text in texts:
            await route(text)

    async def _theirs(self, texts):
        route = self.mh_cp.route_message
        for text in texts:
            await route(text)

    def ours_core(self, texts):
        self.loop.run_until_complete(self._ours_core(texts))

    def ours_sync(self, texts):
        self.loop.run_until_complete(self._ours_sync(texts))

    def ours_asyncio(self, texts):
        self.loop.run_until_complete(self._ours_asyncio(texts))

    def mh_shipped(self, texts):
        mh_messages.ASYNC_VALIDATION = self.shipped_async_validation
        self.loop.run_until_complete(self._theirs(texts))

    def mh_inline(self, texts):
        mh_messages.ASYNC_VALIDATION = False
        try:
            self.loop.run_until_complete(self._theirs(texts))
        finally:
            mh_messages.ASYNC_VALIDATION = self.shipped_async_validation

    def last_answers(self):
        return {
            "ours_core": self.core.last,
            "ours_sync": self.sync_link.last,
            "ours_asyncio": self.aio_link.last,
            "mh_shipped": self.mh_link.last,
            "mh_inline": self.mh_link.last,
        }

    def check(self, action, text):
        """Every contender answers ``text`` with the expected CALLRESULT."""
        expected = [3, frames.UNIQUE_ID, EXPECTED_ANSWERS[action]]
        for name in self.NAMES:
            getattr(self, name)([text])
            answer = self.last_answers()[name]
            if answer is None or json.loads(answer) != expected:
                raise AssertionError(
                    "%s answers %s with %s, not %s" % (name, action, answer, expected)
                )
            self._forget()

    def _forget(self):
        self.core.last = None
        self.sync_link.last = None
        self.aio_link.last = None
        self.mh_link.last = None

    def table(self, texts):
        return {name: (getattr(self, name), texts) for name in self.NAMES}

    def close(self):
        self.aio_cp.close()  # cancels its timer task
        self.loop.run_until_complete(asyncio.sleep(0))


# speedup key → (slower contender, faster contender, clock)
RATIOS = {
    "speedup_core_vs_shipped": ("mh_shipped", "ours_core", "cpu"),
    "speedup_asyncio_vs_shipped": ("mh_shipped", "ours_asyncio", "cpu"),
    "speedup_core_vs_inline": ("mh_inline", "ours_core", "cpu"),
    "speedup_asyncio_vs_inline": ("mh_inline", "ours_asyncio", "cpu"),
    "wall_speedup_asyncio_vs_shipped": ("mh_shipped", "ours_asyncio", "wall"),
}


def measure(contenders, clock, label, messages, ratios=RATIOS):
    """Checks every contender's answer, then times them on the CALL texts of
    `messages`; µs per message (CPU and wall) and the `ratios` asked for."""
    texts = []
    for action, payload in messages:
        text = frames.call_text(action, payload)
        contenders.check(action, text)
        texts.append(text)
    figures = clock.compare(contenders.table(texts))
    us = {name: f["cpu"] * 1e6 for name, f in figures.items()}
    wall_us = {name: f["wall"] * 1e6 for name, f in figures.items()}
    row = {
        "label": label,
        "messages": len(texts),
        "bytes_in": round(sum(len(t) for t in texts) / len(texts)),
        "us": us,
        "spread_us": {
            name: [f["cpu_min"] * 1e6, f["cpu_max"] * 1e6] for name, f in figures.items()
        },
        "wall_us": wall_us,
        "batch": {name: f["batch"] for name, f in figures.items()},
    }
    for key, (slower, faster, which) in ratios.items():
        clock_us = us if which == "cpu" else wall_us
        row[key] = clock_us[slower] / clock_us[faster]
    return row


def write_rows(section, clock, rows, method):
    """Writes a section's rows to build/bench/<section>.json and says where."""
    path = results.write(
        section,
        {
            "incumbent": "mobilityhouse ocpp %s" % mobilityhouse.VERSION,
            "rounds": clock.rounds,
            "target_seconds_per_sample": clock.target,
            "clock": "time.process_time (CPU of all threads); wall_us: time.perf_counter",
            "method": method,
            "messages": rows,
        },
    )
    print("\nwritten: %s" % path)


def cases():
    rows = [(label, [(action, payload)]) for label, action, payload in frames.PAYLOADS]
    rows.append(
        ("mix (one of each)", [(action, payload) for _, action, payload in frames.PAYLOADS])
    )
    return rows


def _x(value):
    return "%.0fx" % value if value >= 10 else "%.1fx" % value


def print_rows(rows, rounds):
    print(
        "\nCALL in → CALLRESULT out on a central system, µs CPU per message"
        " (median of %d interleaved rounds)" % rounds
    )
    print(
        results.table(
            [
                "message",
                "bytes",
                "ours core",
                "ours sync",
                "ours asyncio",
                "mh shipped",
                "mh inline",
                "core/shipped",
                "asyncio/shipped",
                "core/inline",
                "asyncio/inline",
            ],
            [
                [
                    r["label"],
                    r["bytes_in"],
                    "%.1f" % r["us"]["ours_core"],
                    "%.1f" % r["us"]["ours_sync"],
                    "%.1f" % r["us"]["ours_asyncio"],
                    "%.0f" % r["us"]["mh_shipped"],
                    "%.0f" % r["us"]["mh_inline"],
                    _x(r["speedup_core_vs_shipped"]),
                    _x(r["speedup_asyncio_vs_shipped"]),
                    _x(r["speedup_core_vs_inline"]),
                    _x(r["speedup_asyncio_vs_inline"]),
                ]
                for r in rows
            ],
        )
    )
    mix = rows[-1]
    print(
        "\nwall clock, mix: ours asyncio %.1f µs, mh shipped %.0f µs (%s; the thread-pool"
        " hand-offs wait too)"
        % (
            mix["wall_us"]["ours_asyncio"],
            mix["wall_us"]["mh_shipped"],
            _x(mix["wall_speedup_asyncio_vs_shipped"]),
        )
    )


def run():
    print(
        "runtime: ocppj (core + router, sync and asyncio facades) vs mobilityhouse ocpp %s"
        " ChargePoint.route_message, central system answering charge-point CALLs; Python %s"
        % (mobilityhouse.VERSION, platform.python_version())
    )
    loop = asyncio.new_event_loop()
    try:
        contenders = Contenders(loop)
        clock = CpuAndWall()
        try:
            rows = [measure(contenders, clock, label, messages) for label, messages in cases()]
        finally:
            contenders.close()
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    print_rows(rows, clock.rounds)
    write_rows("runtime", clock, rows, __doc__)


if __name__ == "__main__":
    run()
