"""Handlers for ``ocppj serve --handlers examples/serve_handlers.py``.

The demo server answers everything; this module answers Authorize with
its own list, counts the energy each charge point reports, and, as the
"active" side, asks every charge point that connects for its
configuration and, a moment later, sends it a RemoteStartTransaction.
"""

import asyncio
import logging

from ocppj_aio.v16 import ChargePoint, call, call_result, on

LOG = logging.getLogger("serve-handlers")
KNOWN_TAGS = {"TAG-1", "DEMO-TAG-1"}
connected = asyncio.Queue()


class Handlers(ChargePoint):
    @on("Authorize")
    def authorize(self, id_tag, **_):
        status = "Accepted" if id_tag in KNOWN_TAGS else "Invalid"
        return call_result.Authorize(id_tag_info={"status": status})

    @on("MeterValues")
    def meter_values(self, connector_id, meter_value, **_):
        for sample in meter_value:
            for value in sample.sampled_value:
                LOG.info("%s connector %s: %s %s", self.id, connector_id, value.value, value.unit)
        return call_result.MeterValues()


def on_connect(charge_point, link):
    connected.put_nowait(charge_point.id)


async def main(central_system):
    """Pushes CALLs by charge point id, like a back office would."""
    while True:
        identity = await connected.get()
        configuration = await central_system.call(identity, call.GetConfiguration())
        LOG.info(
            "%s has %d configuration keys", identity, len(configuration.configuration_key or [])
        )
        await asyncio.sleep(0.5)
        started = await central_system.call(
            identity, call.RemoteStartTransaction(id_tag="TAG-1", connector_id=1)
        )
        print("[handlers] remote start on %s: %s" % (identity, started.status.value), flush=True)
