"""CPython convenience: the runtime bound to the generated `ocpp16` package.

    from ocppj_aio.v16 import CentralSystem, ChargePoint, on, call_result

    class CentralSystemSide(ChargePoint):
        @on("BootNotification")
        def on_boot(self, charge_point_vendor, charge_point_model, **_):
            return call_result.BootNotification(
                current_time="2026-01-01T00:00:00Z", interval=300, status="Accepted"
            )

    asyncio.run(CentralSystem(CentralSystemSide, port=9000).serve_forever())

Everything else in `ocppj` takes the protocol module as an argument (see
docs/architecture.md); this module is the one place that imports `ocpp16`
by its CPython name, so it is not shipped to devices. ``AcceptingChargePoint``
is the central-system side of ``ocppj serve``: it answers every CALL a charge
point may send with a schema-valid, accepting response.
"""

from ocpp16 import call, call_result, datatypes, enums, handlers, protocol
from ocppj.routing import after, on

from . import charge_point as _aio
from . import server as _server
from .demo import answering_class

__all__ = [
    "AcceptingChargePoint",
    "CentralSystem",
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


class CentralSystem(_server.CentralSystem):
    """The asyncio CentralSystem with `protocol` defaulting to `ocpp16.protocol`."""

    def __init__(self, charge_point_factory=ChargePoint, *, protocol=protocol, **options):
        super().__init__(charge_point_factory, protocol=protocol, **options)


AcceptingChargePoint = answering_class(protocol, "CentralSystem", name="AcceptingChargePoint")
