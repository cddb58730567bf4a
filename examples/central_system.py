"""A small OCPP 1.6J central system on ocppj_aio.

    python examples/central_system.py --port 9000 [--password SECRET]

Every charge point gets its own ``ChargePointSession`` object. It accepts
the BootNotification, asks for the charge point's configuration once the
answer went out (``@after``), authorises every idTag, numbers
transactions and logs meter values. Identity comes from the URL
(``ws://host:9000/<identity>``); with ``--password`` security profile 1
(HTTP Basic) is required.
"""

import argparse
import asyncio
import datetime
import itertools
import logging

from ocpp16 import call, call_result, datatypes, protocol
from ocpp16.enums import AuthorizationStatus, RegistrationStatus
from ocppj.routing import after, on
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.security import PasswordTable
from ocppj_aio.server import CentralSystem

log = logging.getLogger("central_system")
transaction_ids = itertools.count(1)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ChargePointSession(ChargePoint):
    """The central system's view of one connected charge point."""

    @on("BootNotification")
    async def on_boot(self, charge_point_vendor, charge_point_model, **fields):
        log.info("%s boots: %s %s", self.id, charge_point_vendor, charge_point_model)
        return call_result.BootNotification(
            status=RegistrationStatus.accepted, current_time=now(), interval=60
        )

    @after("BootNotification")
    async def read_configuration(self, **fields):
        # Runs after the answer was sent, so it may send CALLs itself.
        configuration = await self.call(call.GetConfiguration())
        if configuration is not None:
            log.info(
                "%s has %d configuration keys",
                self.id,
                len(configuration.configuration_key or []),
            )

    @on("Heartbeat")
    def on_heartbeat(self):
        return call_result.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, connector_id, error_code, status, **fields):
        log.info(
            "%s connector %s: %s (%s)",
            self.id,
            connector_id,
            status.value,
            error_code.value,
        )
        return call_result.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag):
        return call_result.Authorize(
            id_tag_info=datatypes.IdTagInfo(status=AuthorizationStatus.accepted)
        )

    @on("StartTransaction")
    def on_start(self, connector_id, id_tag, meter_start, timestamp, **fields):
        transaction_id = next(transaction_ids)
        log.info(
            "%s starts transaction %d on connector %d",
            self.id,
            transaction_id,
            connector_id,
        )
        return call_result.StartTransaction(
            transaction_id=transaction_id,
            id_tag_info=datatypes.IdTagInfo(status=AuthorizationStatus.accepted),
        )

    @on("MeterValues")
    def on_meter_values(self, connector_id, meter_value, **fields):
        for sample in meter_value:
            for value in sample.sampled_value:
                unit = value.unit.value if value.unit else "Wh"
                log.info("%s %s: %s %s", self.id, sample.timestamp, value.value, unit)
        return call_result.MeterValues()

    @on("StopTransaction")
    def on_stop(self, transaction_id, meter_stop, **fields):
        log.info("%s stops transaction %d at %d Wh", self.id, transaction_id, meter_stop)
        return call_result.StopTransaction()


async def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--password", help="require HTTP Basic with this password (profile 1)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    options = {}
    if args.password:

        async def any_identity(identity, password):
            return await PasswordTable({identity: args.password})(identity, password)

        options = {"security_profile": 1, "authenticator": any_identity}
    server = CentralSystem(
        ChargePointSession,
        protocol=protocol,
        host=args.host,
        port=args.port,
        on_connect=lambda cp, link: log.info("%s connected from %s", cp.id, link.remote_address[0]),
        on_disconnect=lambda cp, link: log.info("%s gone (%s)", cp.id, link.close_code),
        **options,
    )
    async with server:
        log.info("listening on %s/<identity>", server.url())
        if args.duration:
            await asyncio.sleep(args.duration)
        else:
            await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
