"""Stuck-reader section: how long a charge point that floods and stops
reading stays connected (issue 13 item 10).

Our CentralSystem runs here with its default settings (ping_interval and
ping_timeout 20 s; write_timeout defaults to ping_timeout where the
checkout has it). A charge point in another process connects, stops
reading (its own buffer holds one message) and sends Heartbeat CALLs as
fast as the connection takes them: the answers fill both socket buffers,
then the server cannot send. Printed: seconds from the connection to the
server dropping it, or "> LIMIT" when it is still connected then (the
field test saw 150 s), and the close code and reason the server gives.

The same file measures an older checkout for the before figure:
``python -m bench.stuck_reader``.
"""

import asyncio
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 90.0


async def _flood(port):
    from websockets.asyncio.client import connect

    websocket = await connect(
        "ws://127.0.0.1:%d/STUCK-1" % port, subprotocols=["ocpp1.6"], max_queue=1
    )
    n = 0
    try:
        while True:
            n += 1
            await websocket.send('[2,"s%d","Heartbeat",{}]' % n)
    except Exception:
        pass


async def _measure():
    from ocpp16 import protocol
    from ocppj_aio.demo import answering_class
    from ocppj_aio.server import CentralSystem

    events = {}
    ended = asyncio.Event()

    def connected(charge_point, link):
        events["connected"] = time.monotonic()

    def disconnected(charge_point, link):
        events["dropped"] = time.monotonic()
        events["code"] = link.close_code
        events["reason"] = link.close_reason
        ended.set()

    server = CentralSystem(
        answering_class(protocol, "CentralSystem"),
        protocol=protocol,
        on_connect=connected,
        on_disconnect=disconnected,
    )
    await server.start()
    client = subprocess.Popen(
        [sys.executable, "-m", "bench.stuck_reader", "client", str(server.port)], cwd=ROOT
    )
    try:
        try:
            await asyncio.wait_for(ended.wait(), LIMIT)
        except asyncio.TimeoutError:
            events["connected_at_limit"] = True
    finally:
        client.kill()
        client.wait()
        await server.close()
    return events


def run():
    from . import results

    events = asyncio.run(_measure())
    if "dropped" in events and "connected" in events and "connected_at_limit" not in events:
        seconds = events["dropped"] - events["connected"]
        print(
            "stuck reader dropped after %.1f s (close code %s, %s)"
            % (seconds, events.get("code"), events.get("reason"))
        )
    else:
        seconds = None
        print("stuck reader still connected after > %g s" % LIMIT)
    results.write(
        "stuck_reader",
        {
            "limit_s": LIMIT,
            "drop_s": seconds,
            "code": events.get("code"),
            "reason": events.get("reason"),
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "client":
        asyncio.run(_flood(int(sys.argv[2])))
    else:
        run()
