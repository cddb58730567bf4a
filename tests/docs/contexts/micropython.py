"""docs/micropython.md: the device code runs from a staged ``usr/`` against a
real central system on 127.0.0.1 that answers its BootNotification, sends
it a Reset, checks the answer and closes; ``cp.start()`` then raises as the
docs say (the connection is gone), which ends the fragment."""

import asyncio

from _support import ConnectionEnded, DeviceConnection, ThreadedCentralSystem, stage_usr

EXPECTED_ENDS = (ConnectionEnded,)


def setup(session):
    stage_usr(session)
    from ocpp16 import call, protocol
    from ocppj_aio.demo import answering_class

    async def push_reset(server):
        while not server.is_connected("CP-1"):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # after the BootNotification
        answer = await server.call("CP-1", call.Reset(type="Soft"), suppress=False)
        assert answer.status == "Accepted", answer
        await server.link("CP-1").close(1000, "done")

    session.central_system = ThreadedCentralSystem(
        answering_class(protocol, "CentralSystem"), push_reset
    )
    connection = DeviceConnection(session.central_system.url("CP-1"))
    return {"connection": connection}


def teardown(session, namespace):
    central_system = session.central_system
    central_system.done.wait(30)
    central_system.stop()
    if central_system.errors:
        raise central_system.errors[0]
    assert central_system.done.is_set(), "the central system never got its Reset answered"
