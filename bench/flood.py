"""Flood section: what flooding charge points do to the others (issue 13
item 11).

Three processes on 127.0.0.1: our CentralSystem (answering like ``ocppj
serve`` without printing), HEALTHY charge points that each send a
Heartbeat every PACE seconds and wait for its answer, and F flooders
that each send Heartbeat CALLs as fast as the connection takes them,
reading (and discarding) whatever comes back, so they are not dropped as
stuck readers. Per F in FLOODERS the healthy charge points' latencies
are collected for MEASURE seconds after a WARMUP.

Printed: healthy p50/p99/max per F, and the ratio of each p99 to the p99
without flooders measured in the same run; the flooders' CALLs answered
with a CALLRESULT and refused with a CALLERROR per second. The figures
move with whatever else runs on the machine; the ratios less so.

The server is started with the options its CentralSystem knows, so the
same file measures an older checkout for a before/after figure:
``python -m bench.flood`` (or ``make bench``, section bench.flood).
"""

import asyncio
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = os.environ.get("BENCH_QUICK") == "1"
HEALTHY = 20
PACE = 0.01
FLOODERS = (0, 1, 5)
WARMUP = 1.0 if QUICK else 2.0
MEASURE = 2.0 if QUICK else 6.0


# ------------------------------------------------------------------ server


async def _serve():
    import inspect

    from ocpp16 import protocol
    from ocppj_aio.demo import answering_class
    from ocppj_aio.server import CentralSystem

    answering = answering_class(protocol, "CentralSystem")
    known = inspect.signature(CentralSystem.__init__).parameters
    options = {}
    if "call_burst" in known and os.environ.get("FLOOD_CALL_BURST"):
        value = os.environ["FLOOD_CALL_BURST"]
        options["call_burst"] = None if value == "none" else int(value)
    server = CentralSystem(answering, protocol=protocol, port=0, **options)
    await server.start()
    print(json.dumps({"port": server.port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.close()


# ------------------------------------------------------------------ charge points


def _frame(n, prefix):
    return '[2,"%s%d","Heartbeat",{}]' % (prefix, n)


async def _healthy(port, count, seconds):
    from websockets.asyncio.client import connect

    latencies = []
    started = time.monotonic()
    stop_at = started + seconds

    async def one(index):
        async with connect(
            "ws://127.0.0.1:%d/H-%d" % (port, index), subprotocols=["ocpp1.6"]
        ) as websocket:
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                sent = time.perf_counter()
                await websocket.send(_frame(n, "h"))
                await websocket.recv()
                latencies.append((time.monotonic() - started, time.perf_counter() - sent))
                await asyncio.sleep(PACE)

    await asyncio.gather(*(one(i) for i in range(count)))
    return latencies


async def _flood(port, count, seconds):
    from websockets.asyncio.client import connect

    counts = {"result": 0, "error": 0, "closed": 0}
    stop_at = time.monotonic() + seconds

    async def one(index):
        async with connect(
            "ws://127.0.0.1:%d/F-%d" % (port, index), subprotocols=["ocpp1.6"]
        ) as websocket:

            async def drain():
                async for message in websocket:
                    counts["result" if message[1] == "3" else "error"] += 1

            reader = asyncio.create_task(drain())
            n = 0
            try:
                while time.monotonic() < stop_at:
                    for _ in range(100):
                        n += 1
                        await websocket.send(_frame(n, "f"))
                    await asyncio.sleep(0)
            except Exception:
                counts["closed"] += 1
            reader.cancel()

    await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    return counts


def _client_main(kind, port, count, seconds):
    worker = _healthy if kind == "healthy" else _flood
    result = asyncio.run(worker(port, count, seconds))
    print(json.dumps(result))


# ------------------------------------------------------------------ driver


def _spawn(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "bench.flood"] + [str(a) for a in args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(flooders):
    server = _spawn("server")
    try:
        port = json.loads(server.stdout.readline())["port"]
        total = WARMUP + MEASURE
        healthy = _spawn("healthy", port, HEALTHY, total)
        flood = _spawn("flood", port, flooders, total + 0.5) if flooders else None
        latencies = json.loads(healthy.communicate()[0])
        counts = json.loads(flood.communicate()[0]) if flood else {}
        window = [latency for elapsed, latency in latencies if elapsed >= WARMUP]
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    figures = {
        "flooders": flooders,
        "healthy_calls": len(window),
        "p50_ms": percentile(window, 0.50) * 1000,
        "p99_ms": percentile(window, 0.99) * 1000,
        "max_ms": max(window) * 1000 if window else float("nan"),
        "flood_results_per_s": counts.get("result", 0) / total,
        "flood_refusals_per_s": counts.get("error", 0) / total,
    }
    return figures


def run():
    from . import results

    rows = []
    data = []
    for flooders in FLOODERS:
        figures = measure(flooders)
        data.append(figures)
    base = data[0]["p99_ms"]
    for figures in data:
        figures["p99_ratio"] = figures["p99_ms"] / base if base else float("nan")
        rows.append(
            (
                figures["flooders"],
                figures["healthy_calls"],
                "%.2f" % figures["p50_ms"],
                "%.2f" % figures["p99_ms"],
                "%.1f" % figures["max_ms"],
                "%.1fx" % figures["p99_ratio"],
                "%.0f" % figures["flood_results_per_s"],
                "%.0f" % figures["flood_refusals_per_s"],
            )
        )
    print(
        "%d healthy charge points, one Heartbeat each per %g s; flooders send without waiting"
        % (HEALTHY, PACE)
    )
    print(
        results.table(
            (
                "flooders",
                "healthy calls",
                "p50 ms",
                "p99 ms",
                "max ms",
                "p99 / no flood",
                "flood answered/s",
                "flood refused/s",
            ),
            rows,
        )
    )
    results.write("flood", {"healthy": HEALTHY, "pace_s": PACE, "runs": data})


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "server":
        asyncio.run(_serve())
    elif len(sys.argv) > 1 and sys.argv[1] in ("healthy", "flood"):
        _client_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    else:
        run()
