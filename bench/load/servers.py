"""The three central systems under load, each run in its own process as
``python -m bench.load.servers KIND [--profile FILE]``; it prints
``{"port": N}`` once listening on 127.0.0.1 and serves until stdin closes
(or SIGTERM). Commands on stdin, one JSON object a line: ``{"cmd": "gc"}``
prints what the cyclic garbage collector cost so far, ``{"cmd":
"profile", "on": true|false}`` switches cProfile (with ``--profile``).

ours      ``ocppj serve`` without its frame trace: ocppj_aio.server.CentralSystem
          with the demo answering charge point (ocppj_aio.demo), i.e. frames
          parsed and checked by the sans-IO core, requests validated and
          decoded to dataclasses, handlers called with keyword arguments,
          responses encoded, validated and framed.
bare      the transport floor: a ``websockets`` server that answers every
          CALL with a constant empty CALLRESULT carrying the CALL's unique
          id (cut out of the text, no JSON parsing).
mobility  mobilityhouse ``ocpp`` 2.1.0: its v16 ChargePoint with ``@on``
          handlers returning call_result dataclasses, in a ``websockets``
          server, schema validation on (its default, in a thread executor).
gateway   ``ocppj gateway`` + Mosquitto + a Python service answering over
          MQTT (bench/load/gateway_servers.py); gateway-w2: the same with
          ``--workers 2``. Their CPU is the whole process tree's.

All three run websockets 17 with the same options: subprotocol ocpp1.6,
no compression, 1 MiB message limit and websockets' keepalive pings
(20 s), as CentralSystem sets them.
"""

import argparse
import asyncio
import datetime
import gc
import json
import signal
import sys
import threading
import time

from .generator import raise_open_files

COMMON = dict(
    subprotocols=["ocpp1.6"],
    compression=None,
    max_size=2**20,
    ping_interval=20,
    ping_timeout=20,
)


def _utc_now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


async def serve_ours():
    from ocpp16 import protocol
    from ocppj_aio.cli import tune_gc
    from ocppj_aio.demo import answering_class
    from ocppj_aio.server import CentralSystem

    answering = answering_class(protocol, "CentralSystem")
    server = CentralSystem(
        answering,
        protocol=protocol,
        host="127.0.0.1",
        port=0,
        ping_interval=COMMON["ping_interval"],
        ping_timeout=COMMON["ping_timeout"],
        max_message_size=COMMON["max_size"],
        compression=None,
    )
    await server.start()
    # As `ocppj serve` does after start-up (--gc-tuning, its default).
    tune_gc()
    return server.port, server.close


async def serve_bare():
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    async def answer(websocket):
        try:
            async for message in websocket:
                end = message.find('"', 4)
                await websocket.send('[3,"%s",{}]' % message[4:end])
        except ConnectionClosed:
            pass

    server = await serve(answer, "127.0.0.1", 0, **COMMON)
    port = server.sockets[0].getsockname()[1]

    async def close():
        server.close()
        await server.wait_closed()

    return port, close


async def serve_mobilityhouse():
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action, RegistrationStatus
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    class CentralSystemSide(ChargePoint):
        @on(Action.boot_notification)
        def on_boot(self, charge_point_vendor, charge_point_model, **kwargs):
            return call_result.BootNotification(
                current_time=_utc_now(),
                interval=300,
                status=RegistrationStatus.accepted,
            )

        @on(Action.heartbeat)
        def on_heartbeat(self):
            return call_result.Heartbeat(current_time=_utc_now())

        @on(Action.meter_values)
        def on_meter_values(self, connector_id, meter_value, **kwargs):
            return call_result.MeterValues()

    async def handle(websocket):
        identity = websocket.request.path.rsplit("/", 1)[-1]
        try:
            await CentralSystemSide(identity, websocket).start()
        except ConnectionClosed:
            pass

    server = await serve(handle, "127.0.0.1", 0, **COMMON)
    port = server.sockets[0].getsockname()[1]

    async def close():
        server.close()
        await server.wait_closed()

    return port, close


async def serve_gateway():
    from .gateway_servers import serve_gateway as start

    return await start(COMMON, workers=1)


async def serve_gateway_workers():
    from .gateway_servers import serve_gateway as start

    return await start(COMMON, workers=2)


SERVERS = {
    "ours": serve_ours,
    "bare": serve_bare,
    "mobility": serve_mobilityhouse,
    "gateway": serve_gateway,
    "gateway-w2": serve_gateway_workers,
}


class GarbageCollectorClock:
    """CPU time the cyclic garbage collector takes, per generation, and
    its longest pause since the last report (gc.callbacks)."""

    def __init__(self):
        self.started = 0.0
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if phase == "start":
            self.started = time.process_time()
            return
        spent = time.process_time() - self.started
        generation = info["generation"]
        self.counts[generation] += 1
        self.seconds[generation] += spent
        if spent > self.longest:
            self.longest = spent

    def report(self):
        record = {
            "gc_counts": list(self.counts),
            "gc_seconds": list(self.seconds),
            "gc_longest_s": self.longest,
        }
        self.longest = 0.0
        return record


def _say(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _read_commands(loop, handle):
    """Feed stdin lines to ``handle`` on the loop (a thread: call_soon_threadsafe
    queues the callback even when the loop's self-pipe is full, which a
    signal's wake-up byte is not; mobilityhouse's executor can fill it)."""

    def reader():
        for line in sys.stdin:
            loop.call_soon_threadsafe(handle, json.loads(line))
        loop.call_soon_threadsafe(handle, {"cmd": "quit"})

    threading.Thread(target=reader, daemon=True).start()


async def main(kind, profile_path=None):
    collector = GarbageCollectorClock()
    profiler = _profiler() if profile_path else None
    port, close = await SERVERS[kind]()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def handle(command):
        name = command["cmd"]
        if name == "quit":
            stop.set()
        elif name == "gc":
            _say(collector.report())
        elif name == "profile" and profiler is not None:
            if command["on"]:
                profiler.enable()
            else:
                profiler.disable()
                profiler.dump_stats(profile_path)
            _say({"profile": command["on"]})

    _read_commands(loop, handle)
    _say({"port": port})
    await stop.wait()
    await close()


def _profiler():
    import cProfile

    # CPU time, not wall time: on a busy machine wall time charges the
    # moments this process waited for a core to whatever it was doing
    return cProfile.Profile(time.process_time)


def _cli(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.load.servers")
    parser.add_argument("kind", choices=sorted(SERVERS))
    parser.add_argument("--max-connections", type=int, default=20000)
    parser.add_argument(
        "--profile", help='cProfile between {"cmd": "profile"} commands, stats here'
    )
    args = parser.parse_args(argv)
    raise_open_files(args.max_connections + 256)
    asyncio.run(main(args.kind, args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
