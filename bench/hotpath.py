"""Hot-path section: a central system's per-connection loop, frame in →
frame out, as the server runs it: ours against mobilityhouse `ocpp` 2.1.0.

Per connection our CentralSystem (ocppj_aio.server) makes an
ocppj_aio.charge_point.ChargePoint around a ``_ServerLink`` (its
WebSocketLink subclass: message counts, clock stamps, the heartbeat
interval learnt from the BootNotification answers it is told about) and
awaits its ``start()``;
a mobilityhouse central system awaits ``start()`` of its ChargePoint
subclass on the bare websocket. Both read with ``await recv()``, route the
CALL to an ``async def`` handler and ``await send()`` the CALLRESULT.

The websocket is a fake with the charge point's manners (OCPP-J 4.1.1): it
hands out the next CALL only once the previous one was answered, so
``recv`` waits (yields to the loop) exactly where a real socket would,
and the server's tasks, locks and timers all take their turn. ``send``
only keeps the frame. A batch is one connection: a fresh ChargePoint whose
``start()`` runs until the fake runs out of frames (construction and
teardown are inside the timing, spread over the batch).

Contenders:

  ours server    our ChargePoint on a _ServerLink, as CentralSystem has it
  ours bare      our ChargePoint on the fake websocket itself (no link)
  mh shipped     mobilityhouse ChargePoint.start(), as shipped (schema
                 checks in the default thread pool, ASYNC_VALIDATION on)
  mh inline      the same with ocpp.messages.ASYNC_VALIDATION = False

Our reader runs an ``async def`` handler up to its first wait itself (a
handler that answers without waiting costs no task and no loop turn, on
every Python); mobilityhouse awaits it inside start().

Frames: bench/frames.py, per kind and as a mix (one of each, repeated).
Handlers: the same responses as bench/runtime.py (fixed values), each
answer checked before timing. Clock: process CPU time (worker threads
count), as in bench/runtime.py; wall medians in the JSON.
"""

import asyncio
import json
import platform

from ocpp import messages as mh_messages
from ocpp.routing import on as mh_on
from ocpp.v16 import ChargePoint as MhChargePoint
from ocpp.v16 import call_result as mh_call_result
from ocpp.v16 import datatypes as mh_datatypes
from ocpp.v16 import enums as mh_enums
from ocpp.v16.enums import Action as MhAction
from ocpp16 import call_result, datatypes, enums, protocol
from ocppj.routing import on
from ocppj_aio import charge_point as aio_facade
from ocppj_aio.server import _ServerLink

from . import frames, mobilityhouse, results
from .runtime import (
    CURRENT_TIME,
    DATA_TRANSFER_REPLY,
    EXPECTED_ANSWERS,
    EXPIRY_DATE,
    HEARTBEAT_INTERVAL,
    PARENT_ID_TAG,
    TRANSACTION_ID,
    CpuAndWall,
    cases,
    measure,
    write_rows,
)

IDENTITY = "CP-1"


class EndOfInput(Exception):
    """The fake charge point has sent all its frames."""


class ChargePointSocket:
    """A websocket whose peer sends its next CALL only after the previous
    one was answered (OCPP-J 4.1.1)."""

    subprotocol = "ocpp1.6"
    remote_address = ("127.0.0.1", 50000)
    close_code = None
    close_reason = None
    request = None

    def __init__(self, texts):
        self._texts = iter(texts)
        self._answered = None
        self.last = None
        self.answers = 0

    async def recv(self):
        if self._answered is not None:
            await self._answered
        text = next(self._texts, None)
        if text is None:
            raise EndOfInput
        self._answered = asyncio.get_running_loop().create_future()
        return text

    async def send(self, text):
        self.last = text
        self.answers += 1
        if self._answered is not None and not self._answered.done():
            self._answered.set_result(None)

    async def close(self, code=1000, reason=""):
        pass


def _our_id_tag_info():
    return datatypes.IdTagInfo(
        status=enums.AuthorizationStatus.accepted,
        expiry_date=EXPIRY_DATE,
        parent_id_tag=PARENT_ID_TAG,
    )


class OurChargePoint(aio_facade.ChargePoint):
    """Our per-connection object with async handlers, as a server user writes it."""

    @on("BootNotification")
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return call_result.BootNotification(
            status=enums.RegistrationStatus.accepted,
            current_time=CURRENT_TIME,
            interval=HEARTBEAT_INTERVAL,
        )

    @on("Heartbeat")
    async def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=CURRENT_TIME)

    @on("StatusNotification")
    async def on_status_notification(self, connector_id, error_code, status, **kwargs):
        return call_result.StatusNotification()

    @on("Authorize")
    async def on_authorize(self, id_tag, **kwargs):
        return call_result.Authorize(id_tag_info=_our_id_tag_info())

    @on("StartTransaction")
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return call_result.StartTransaction(
            id_tag_info=_our_id_tag_info(), transaction_id=TRANSACTION_ID
        )

    @on("MeterValues")
    async def on_meter_values(self, connector_id, meter_value, **kwargs):
        return call_result.MeterValues()

    @on("StopTransaction")
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        return call_result.StopTransaction(
            id_tag_info=datatypes.IdTagInfo(status=enums.AuthorizationStatus.accepted)
        )

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(
            status=enums.DataTransferStatus.accepted, data=DATA_TRANSFER_REPLY
        )


def _their_id_tag_info():
    return mh_datatypes.IdTagInfo(
        status=mh_enums.AuthorizationStatus.accepted,
        expiry_date=EXPIRY_DATE,
        parent_id_tag=PARENT_ID_TAG,
    )


class TheirChargePoint(MhChargePoint):
    """mobilityhouse's per-connection object, async handlers as their docs show."""

    @mh_on(MhAction.boot_notification)
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return mh_call_result.BootNotification(
            current_time=CURRENT_TIME,
            interval=HEARTBEAT_INTERVAL,
            status=mh_enums.RegistrationStatus.accepted,
        )

    @mh_on(MhAction.heartbeat)
    async def on_heartbeat(self, **kwargs):
        return mh_call_result.Heartbeat(current_time=CURRENT_TIME)

    @mh_on(MhAction.status_notification)
    async def on_status_notification(self, connector_id, error_code, status, **kwargs):
        return mh_call_result.StatusNotification()

    @mh_on(MhAction.authorize)
    async def on_authorize(self, id_tag, **kwargs):
        return mh_call_result.Authorize(id_tag_info=_their_id_tag_info())

    @mh_on(MhAction.start_transaction)
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return mh_call_result.StartTransaction(
            transaction_id=TRANSACTION_ID, id_tag_info=_their_id_tag_info()
        )

    @mh_on(MhAction.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **kwargs):
        return mh_call_result.MeterValues()

    @mh_on(MhAction.stop_transaction)
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        return mh_call_result.StopTransaction(
            id_tag_info=mh_datatypes.IdTagInfo(status=mh_enums.AuthorizationStatus.accepted)
        )

    @mh_on(MhAction.data_transfer)
    async def on_data_transfer(self, vendor_id, **kwargs):
        return mh_call_result.DataTransfer(
            status=mh_enums.DataTransferStatus.accepted, data=DATA_TRANSFER_REPLY
        )


async def _serve(charge_point):
    try:
        await charge_point.start()
    except EndOfInput:
        pass
    await asyncio.sleep(0)  # let cancelled tasks (our timer) finish


class Contenders:
    NAMES = ("ours_server", "ours_bare", "mh_shipped", "mh_inline")

    def __init__(self, loop):
        self.loop = loop
        self.shipped_async_validation = mh_messages.ASYNC_VALIDATION

    def _connection(self, name, texts):
        """(charge point, socket) for one connection of contender ``name``."""
        socket = ChargePointSocket(texts)
        if name == "ours_server":
            link = _ServerLink(socket, IDENTITY)
            return OurChargePoint(IDENTITY, link, protocol=protocol), socket
        if name == "ours_bare":
            return OurChargePoint(IDENTITY, socket, protocol=protocol), socket
        return TheirChargePoint(IDENTITY, socket), socket

    def run(self, name, texts):
        """Serve ``texts`` on one connection; returns the socket."""
        charge_point, socket = self._connection(name, texts)
        if name == "mh_inline":
            mh_messages.ASYNC_VALIDATION = False
        try:
            self.loop.run_until_complete(_serve(charge_point))
        finally:
            mh_messages.ASYNC_VALIDATION = self.shipped_async_validation
        if socket.answers != len(texts):
            raise AssertionError("%s answered %d of %d CALLs" % (name, socket.answers, len(texts)))
        return socket

    def check(self, action, text):
        expected = [3, frames.UNIQUE_ID, EXPECTED_ANSWERS[action]]
        for name in self.NAMES:
            answer = self.run(name, [text]).last
            if answer is None or json.loads(answer) != expected:
                raise AssertionError(
                    "%s answers %s with %s, not %s" % (name, action, answer, expected)
                )

    def table(self, texts):
        return {
            name: ((lambda batch, name=name: self.run(name, batch)), texts) for name in self.NAMES
        }


RATIOS = {
    "speedup_server_vs_shipped": ("mh_shipped", "ours_server", "cpu"),
    "speedup_server_vs_inline": ("mh_inline", "ours_server", "cpu"),
    "speedup_bare_vs_shipped": ("mh_shipped", "ours_bare", "cpu"),
    "wall_speedup_server_vs_shipped": ("mh_shipped", "ours_server", "wall"),
}


def _x(value):
    return "%.0fx" % value if value >= 10 else "%.1fx" % value


def print_rows(rows, rounds):
    print(
        "\nServer hot path, CALL in → CALLRESULT out through start()/recv()/send(),"
        " µs CPU per message (median of %d interleaved rounds)" % rounds
    )
    print(
        results.table(
            [
                "message",
                "bytes",
                "ours server",
                "ours bare",
                "mh shipped",
                "mh inline",
                "server/shipped",
                "server/inline",
                "wall: server/shipped",
            ],
            [
                [
                    r["label"],
                    r["bytes_in"],
                    "%.1f" % r["us"]["ours_server"],
                    "%.1f" % r["us"]["ours_bare"],
                    "%.0f" % r["us"]["mh_shipped"],
                    "%.0f" % r["us"]["mh_inline"],
                    _x(r["speedup_server_vs_shipped"]),
                    _x(r["speedup_server_vs_inline"]),
                    _x(r["wall_speedup_server_vs_shipped"]),
                ]
                for r in rows
            ],
        )
    )


def run():
    print(
        "hotpath: ocppj_aio ChargePoint as CentralSystem runs it vs mobilityhouse ocpp %s"
        " ChargePoint.start(), one connection answering charge-point CALLs; Python %s"
        % (mobilityhouse.VERSION, platform.python_version())
    )
    loop = asyncio.new_event_loop()
    try:
        contenders = Contenders(loop)
        clock = CpuAndWall()
        rows = [measure(contenders, clock, label, messages, RATIOS) for label, messages in cases()]
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    print_rows(rows, clock.rounds)
    write_rows("hotpath", clock, rows, __doc__)


if __name__ == "__main__":
    run()
