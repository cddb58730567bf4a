"""A small OCPP 1.6J charge point on ocppj_aio.

    python examples/charge_point.py ws://127.0.0.1:9000 CP-1 [--password SECRET]

Connects (and keeps reconnecting), registers with a BootNotification,
answers Reset and RemoteStartTransaction, then charges once: Authorize,
StartTransaction, two MeterValues and StopTransaction go through the
file-backed queue, so they reach the central system in order even across
a lost connection or a restart of this script.
"""

import argparse
import asyncio
import datetime
import logging
import os
import tempfile

from ocpp16 import call, call_result, datatypes, protocol
from ocpp16.enums import RemoteStartStopStatus, ResetStatus
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.client import ChargePointClient

log = logging.getLogger("charge_point")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Handlers(ChargePoint):
    """Answers the central system's CALLs on each connection."""

    @on("Reset")
    def on_reset(self, type):
        log.info("reset (%s) requested", type)
        return call_result.Reset(status=ResetStatus.accepted)

    @on("RemoteStartTransaction")
    def on_remote_start(self, id_tag, **fields):
        log.info("remote start for %s", id_tag)
        return call_result.RemoteStartTransaction(status=RemoteStartStopStatus.accepted)


def meter_values(connector_id, energy_wh):
    sample = datatypes.SampledValue(
        value=str(energy_wh), measurand="Energy.Active.Import.Register", unit="Wh"
    )
    return call.MeterValues(
        connector_id=connector_id,
        transaction_id=0,  # filled in from the StartTransaction when sent
        meter_value=[datatypes.MeterValue(timestamp=now(), sampled_value=[sample])],
    )


async def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "url", help="the central system's OCPP-J endpoint, e.g. ws://127.0.0.1:9000"
    )
    parser.add_argument("identity")
    parser.add_argument(
        "--password",
        help="AuthorizationKey for HTTP Basic (profile 1, or 2 with wss://)",
    )
    parser.add_argument(
        "--queue",
        default=os.path.join(tempfile.gettempdir(), "ocppj-example-queue.jsonl"),
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    client = ChargePointClient(
        args.url,
        args.identity,
        protocol=protocol,
        boot_notification=call.BootNotification(
            charge_point_vendor="Example", charge_point_model="EX-1"
        ),
        charge_point_factory=Handlers,
        password=args.password,
        queue=args.queue,
    )
    async with client:
        await client.wait_accepted()
        log.info("accepted; heartbeat every %ss", client.heartbeat_interval)
        await client.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        )
        authorized = await client.call(call.Authorize(id_tag="TAG-0001"))
        log.info("Authorize: %s", authorized.id_tag_info.status.value)

        start = client.enqueue(
            call.StartTransaction(connector_id=1, id_tag="TAG-0001", meter_start=0, timestamp=now())
        )
        for energy in (500, 1000):
            client.enqueue(meter_values(1, energy), transaction=start.transaction)
        stop = client.enqueue(
            call.StopTransaction(
                transaction_id=0, meter_stop=1500, timestamp=now(), id_tag="TAG-0001"
            ),
            transaction=start.transaction,
        )
        started = await start
        log.info("transaction %d started", started.transaction_id)
        await stop
        log.info("transaction stopped; queue empty: %s", len(client.queue) == 0)


if __name__ == "__main__":
    asyncio.run(main())
