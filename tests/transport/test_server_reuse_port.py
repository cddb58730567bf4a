"""CentralSystem(reuse_port=True): several servers on one port (what
`ocppj gateway --workers N` relies on)."""

import sys

import pytest
from ocpp16 import protocol
from ocppj_aio.server import CentralSystem
from transport_support import HOST, free_port, open_websocket, run, wait_for


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreading is Linux's"
)
def test_two_central_systems_share_one_port_and_both_take_connections():
    async def scenario():
        port = free_port()
        first = CentralSystem(protocol=protocol, host=HOST, port=port, reuse_port=True)
        second = CentralSystem(protocol=protocol, host=HOST, port=port, reuse_port=True)
        async with first, second:
            assert first.port == second.port == port
            sockets = [await open_websocket(first.url("CP-%d" % n)) for n in range(40)]
            await wait_for(lambda: len(first.charge_points) + len(second.charge_points) == 40)
            # the kernel spreads connections over both listeners
            assert first.charge_points and second.charge_points
            for websocket in sockets:
                await websocket.close()

    run(scenario())


def test_without_reuse_port_a_second_server_on_the_port_is_refused():
    async def scenario():
        port = free_port()
        async with CentralSystem(protocol=protocol, host=HOST, port=port):
            with pytest.raises(OSError):
                await CentralSystem(protocol=protocol, host=HOST, port=port).start()

    run(scenario())
