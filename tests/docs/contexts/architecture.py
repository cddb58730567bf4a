"""docs/architecture.md: ``websocket`` is a real connection to a central
system on 127.0.0.1 (asyncio), ``connection`` a blocking one (device
style), and the device bundle is staged as ``usr/``."""

from _support import DeviceConnection, ThreadedCentralSystem, stage_usr


def setup(session):
    stage_usr(session)
    from ocpp16 import protocol
    from ocppj_aio.demo import answering_class
    from websockets.asyncio.client import connect

    session.central_system = ThreadedCentralSystem(answering_class(protocol, "CentralSystem"))
    url = session.central_system.url("CP-1")
    websocket = session.run(connect(url, subprotocols=["ocpp1.6"], open_timeout=10))
    session.websocket = websocket
    return {"websocket": websocket, "connection": DeviceConnection(url.replace("CP-1", "CP-2"))}


def teardown(session, namespace):
    session.run(session.websocket.close())
    namespace["connection"].close()
    session.central_system.stop()
