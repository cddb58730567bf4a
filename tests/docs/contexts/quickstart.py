"""docs/quickstart.md: ``server`` is a running central system (port 0, so it
never meets the quick start's own on 9000) with the charge point CP-1
connected and accepted."""

from ocpp16 import call, protocol
from ocppj_aio.client import ChargePointClient
from ocppj_aio.demo import answering_class
from ocppj_aio.v16 import AcceptingChargePoint, CentralSystem


def setup(session):
    server = CentralSystem(AcceptingChargePoint)
    session.run(server.start())
    client = ChargePointClient(
        server.url("CP-1"),
        protocol=protocol,
        boot_notification=call.BootNotification(charge_point_vendor="V", charge_point_model="M"),
        charge_point_factory=answering_class(protocol, "ChargePoint"),
    )
    session.run(client.start())
    session.run(client.wait_accepted(10))
    session.server, session.client = server, client
    return {"server": server}


def teardown(session, namespace):
    session.run(session.client.close())
    session.run(session.server.close())
