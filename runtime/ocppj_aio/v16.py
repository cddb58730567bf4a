"""CPython convenience: the runtime bound to the generated `ocpp16` package.

    from ocppj_aio.v16 import ChargePoint, on, after, call, call_result, enums

    class CentralSystemSide(ChargePoint):
        @on(enums.Action.boot_notification)
        def on_boot(self, charge_point_vendor, charge_point_model, **_):
            return call_result.BootNotification(
                current_time="2026-01-01T00:00:00Z", interval=300, status="Accepted"
            )

Everything else in `ocppj` takes the protocol module as an argument (see
docs/architecture.md); this module is the one place that imports `ocpp16`
by its CPython name, so it is not shipped to devices.
"""

from ocpp16 import call, call_result, datatypes, enums, handlers, protocol
from ocppj.routing import after, on

from . import charge_point as _aio

__all__ = [
    "ChargePoint",
    "after",
    "call",
    "call_result",
    "datatypes",
    "enums",
    "handlers",
    "on",
    "protocol",
]


class ChargePoint(_aio.ChargePoint):
    """The asyncio ChargePoint with `protocol` defaulting to `ocpp16.protocol`."""

    protocol = protocol
