"""`make bench` / `python -m bench [section ...]`: run the bench sections.

A section is a module in this package with a `run()` function that prints
its tables and writes build/bench/<name>.json (see bench/results.py;
bench/timing.py does interleaved medians). To add one, put its module name
in SECTIONS. Names listed here whose module does not exist yet are skipped
with a note. BENCH_QUICK=1 makes a short smoke run with rough figures.
"""

import importlib
import sys
import time
import traceback

SECTIONS = [
    "bench.codec",  # validators + codecs vs mobilityhouse ocpp
    "bench.runtime",  # runtime: CALL in, CALLRESULT out
    "bench.hotpath",  # server hot path: start()/recv()/send() per connection
    "bench.micropython_footprint",  # MicroPython heap and size of the bundle
    "bench.load",  # N charge points over WebSockets: ours vs bare websockets vs mobilityhouse
    # (and vs the gateway + Mosquitto + a service, with one and two workers)
    "bench.gateway_clients",  # MQTT clients for the gateway: gmqtt vs aiomqtt (paho)
    "bench.walk",  # the modules one CALL passes through
    "bench.instructions",  # callgrind instructions per message on the hot path (valgrind)
    "bench.flood",  # healthy charge points' latency under 0, 1 and 5 flooders
    "bench.stuck_reader",  # how long a charge point that stopped reading stays connected
    "bench.duplicates",  # transaction messages handled twice after 8 kills of a charge point
]


def _load(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise


def main(argv):
    wanted = ["bench." + a if not a.startswith("bench.") else a for a in argv]
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        print("unknown section(s): %s; known: %s" % (", ".join(unknown), ", ".join(SECTIONS)))
        return 2
    failed = []
    for name in wanted or SECTIONS:
        module = _load(name)
        if module is None:
            print("== %s: not present, skipped\n" % name)
            continue
        print("== %s" % name)
        start = time.perf_counter()
        try:
            module.run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print("== %s: %.1f s\n" % (name, time.perf_counter() - start))
    if failed:
        print("failed: %s" % ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
