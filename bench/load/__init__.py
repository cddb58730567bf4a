"""Load section: N simulated charge points on 127.0.0.1 against three
central systems in the same session (bench/load/servers.py):

  ours      our CentralSystem answering like ``ocppj serve`` (no trace)
  bare      a bare ``websockets`` server answering a constant CALLRESULT:
            the transport floor, what any Python OCPP server on websockets
            pays before doing any OCPP work
  mobility  mobilityhouse ``ocpp`` 2.1.0 (ChargePoint + @on handlers)

Per server and N, each in fresh processes (server, generator):

1. connect N charge points (BootNotification each) and hold them idle for
   a second: memory per connection = (server RSS - RSS before the first
   connection) / N;
2. closed loop (1,000 of the N charge points, spread evenly, each sending
   its next call as soon as the answer arrives): the saturation
   throughput, which seeds the search below;
3. open-loop steps at a fixed offered rate, binary-searching the highest
   rate that is *sustained*: p99 latency < 100 ms (counted from each
   call's scheduled time, backlog included), every call answered with its
   CALLRESULT, no CALLERROR, no connection lost, and at least 95% of the
   offered rate achieved.

Server CPU is read from /proc/<pid>/stat over each measurement window
(100% = one core; mobilityhouse's validation threads included); the
generator reports its own CPU so a generator-bound figure shows itself.
The machine has 2 cores: server and generator get about one each.

Two ratios are printed against each incumbent: of sustained rates, and of
server CPU per call in the closed loop (calls per CPU-second). The second
holds when other processes share the machine, which moves the first: a
step fails as soon as anything stalls the server for 100 ms. Full garbage
collections do exactly that at 5,000 and more connections (see the GC
columns), so at large N the sustained figure depends on whether one falls
into a 4-second window; ``--rounds`` keeps the best of several.

``make bench`` runs N = 1,000 (BENCH_QUICK=1: shorter steps).
``python -m bench.load --full`` runs the sweep N = 1,000, 5,000, 10,000;
``--connections``, ``--servers``, ``--rounds`` and ``--profile`` (cProfile
of our server during its closed-loop window) are there for digging. BENCH_LOAD=full
makes ``make bench`` run the sweep.
"""

import json
import os
import selectors
import subprocess
import sys
import time

from .. import results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVERS = ("ours", "bare", "mobility", "gateway", "gateway-w2")
LABELS = {
    "ours": "ours (ocppj serve)",
    "bare": "bare websockets (floor)",
    "mobility": "mobilityhouse ocpp 2.1.0",
    "gateway": "gateway+Mosquitto+service",
    "gateway-w2": "the same, --workers 2",
}
# Kinds whose CPU is spread over child processes (broker, service, workers).
GATEWAY_KINDS = ("gateway", "gateway-w2")
P99_BOUND_MS = 100.0
MIN_ACHIEVED = 0.95
# connections taking part in the closed loop (every N/k-th one)
CLOSED_LOOP_ACTIVE = 1000
QUICK = os.environ.get("BENCH_QUICK") == "1"


class Settings:
    def __init__(self, connections, servers, rounds, warmup, measure, search_steps):
        self.connections = connections
        self.servers = servers
        self.rounds = rounds
        self.warmup = warmup
        self.measure = measure
        self.search_steps = search_steps


def default_settings(full=False):
    if full:
        return Settings((1000, 5000, 10000), SERVERS, 1, 1.0, 4.0, 5)
    if QUICK:
        return Settings((1000,), SERVERS, 1, 0.5, 1.5, 3)
    return Settings((1000,), SERVERS, 1, 1.0, 3.0, 4)


# ------------------------------------------------------------ processes


class Child:
    """A child process speaking JSON lines on stdout."""

    def __init__(self, args, stdin=False):
        self.process = subprocess.Popen(
            [sys.executable] + args,
            cwd=ROOT,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pid = self.process.pid
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    def read(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                raise RuntimeError(
                    "no answer from %s within %ss" % (self.process.args[1:3], timeout)
                )
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(
                    "%s exited: %s" % (self.process.args[1:3], self.process.stderr.read())
                )
            return json.loads(line)

    def send(self, record):
        self.process.stdin.write(json.dumps(record) + "\n")
        self.process.stdin.flush()

    def stop(self):
        """Close stdin (both children stop at its end), then escalate."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        for escalate in (None, self.process.terminate, self.process.kill):
            if escalate is not None:
                escalate()
            try:
                self.process.wait(10)
                break
            except subprocess.TimeoutExpired:
                continue
        self._selector.close()


def cpu_ticks(pid, tree=True):
    """CPU ticks of ``pid`` and (``tree``) of every process below it (a
    gateway server runs Mosquitto, the service and workers as its
    children)."""
    total = 0
    for member in _process_tree(pid) if tree else [pid]:
        try:
            with open("/proc/%d/stat" % member) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        # utime and stime are fields 14 and 15 of the whole line
        total += int(fields[11]) + int(fields[12])
    return total


def _process_tree(pid):
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = os.listdir("/proc/%d/task" % current)
        except OSError:
            continue
        for task in tasks:
            try:
                with open("/proc/%d/task/%s/children" % (current, task)) as handle:
                    found.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return found


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


_TICK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------ one session


def _collector(server):
    server.send({"cmd": "gc"})
    return server.read(30)


def _profile(server, on):
    server.send({"cmd": "profile", "on": on})
    server.read(60)


def _step(generator, server, command, settings, profile=False):
    generator.send(command)
    time.sleep(0.05 + settings.warmup)
    if profile:
        _profile(server, True)
    gc_before = _collector(server)
    before = cpu_ticks(server.pid)
    own_before = cpu_ticks(server.pid, tree=False)
    started = time.monotonic()
    time.sleep(settings.measure)
    elapsed = time.monotonic() - started
    server_cpu = (cpu_ticks(server.pid) - before) / _TICK / elapsed
    own_cpu = (cpu_ticks(server.pid, tree=False) - own_before) / _TICK / elapsed
    gc_after = _collector(server)
    if profile:
        _profile(server, False)
    report = generator.read(settings.warmup + settings.measure + 30)
    gc_seconds = sum(gc_after["gc_seconds"]) - sum(gc_before["gc_seconds"])
    report["server_gc_pct"] = 100.0 * gc_seconds / elapsed
    report["server_full_gcs"] = gc_after["gc_counts"][2] - gc_before["gc_counts"][2]
    report["server_longest_gc_ms"] = 1000.0 * gc_after["gc_longest_s"]
    report["server_cpu_pct"] = 100.0 * server_cpu
    report["generator_cpu_pct"] = 100.0 * report["generator_cpu_s"] / report["generator_wall_s"]
    report["loadavg_1m"] = os.getloadavg()[0]
    # CPU per call does not depend on how much of a core the server got,
    # so it stays comparable when other processes share the machine
    report["server_cpu_us_per_call"] = (
        1e6 * server_cpu / report["achieved_rate"] if report["achieved_rate"] else None
    )
    # the server process alone (for a gateway: without Mosquitto and the service)
    report["server_own_cpu_us_per_call"] = (
        1e6 * own_cpu / report["achieved_rate"] if report["achieved_rate"] else None
    )
    return report


def passes(step):
    return (
        step["lost"] == 0
        and step.get("stray_in_step", 0) == 0
        and step["call_errors_total"] == 0
        and step["failures"] == 0
        and step["closed_connections"] == 0
        and step["p99_ms"] is not None
        and step["p99_ms"] < P99_BOUND_MS
        and step["achieved_rate"] >= MIN_ACHIEVED * step["offered_rate"]
    )


def measure(kind, connections, settings, profile=None, say=print):
    """One server, one N, fresh processes. Returns a dict of figures."""
    server_args = [
        "-m",
        "bench.load.servers",
        kind,
        "--max-connections",
        str(connections),
    ]
    if profile:
        server_args += ["--profile", profile]
    server = Child(server_args, stdin=True)
    generator = None
    try:
        port = server.read(30)["port"]
        time.sleep(0.5)
        rss_before = rss_bytes(server.pid)
        generator = Child(
            [
                "-m",
                "bench.load.generator",
                "ws://127.0.0.1:%d/ocpp" % port,
                str(connections),
            ],
            stdin=True,
        )
        connected = generator.read(180)
        if connected["event"] != "connected":
            raise RuntimeError("connecting failed: %r" % (connected,))
        time.sleep(1.0)
        rss_held = rss_bytes(server.pid)
        figures = {
            "server": kind,
            "connections": connections,
            "connect_s": connected["seconds"],
            "rss_before": rss_before,
            "rss_held": rss_held,
            "bytes_per_connection": (rss_held - rss_before) / connections,
        }
        closed = _step(
            generator,
            server,
            {
                "cmd": "closed",
                "warmup": settings.warmup,
                "measure": settings.measure,
                "active": min(connections, CLOSED_LOOP_ACTIVE),
            },
            settings,
            profile=bool(profile),
        )
        figures["closed"] = closed
        say(
            "   %-8s N=%-6d closed loop %8.0f calls/s  p50 %7.1f ms"
            "  server CPU %3.0f%% (GC %2.0f%%)  generator CPU %3.0f%%  %4.0f us/call"
            % (
                kind,
                connections,
                closed["achieved_rate"],
                closed["p50_ms"] or 0,
                closed["server_cpu_pct"],
                closed["server_gc_pct"],
                closed["generator_cpu_pct"],
                closed["server_cpu_us_per_call"],
            )
        )
        if not closed["answered"]:
            raise RuntimeError("closed loop: no call answered: %r" % (closed,))
        steps = []
        best = None
        low, high = 0.0, closed["achieved_rate"] * 1.05
        rate = closed["achieved_rate"] * 0.8
        for _ in range(settings.search_steps):
            step = _step(
                generator,
                server,
                {
                    "cmd": "open",
                    "rate": rate,
                    "warmup": settings.warmup,
                    "measure": settings.measure,
                },
                settings,
            )
            step["passed"] = passes(step)
            steps.append(step)
            say(
                "   %-8s N=%-6d open %8.0f/s -> %8.0f calls/s  p50 %6.1f  p99 %7.1f ms"
                "  backlog %5d  lost %d  full GCs %d (longest %.0f ms)  %s"
                % (
                    kind,
                    connections,
                    rate,
                    step["achieved_rate"],
                    step["p50_ms"] or 0,
                    step["p99_ms"] or 0,
                    step["backlog"],
                    step["lost"],
                    step["server_full_gcs"],
                    step["server_longest_gc_ms"],
                    "ok" if step["passed"] else "no",
                )
            )
            if step["passed"]:
                low = rate
                if best is None or step["achieved_rate"] > best["achieved_rate"]:
                    best = step
            else:
                high = rate
            rate = (low + high) / 2
        figures["steps"] = steps
        figures["sustained"] = best
        return figures
    finally:
        if generator is not None:
            generator.stop()
        server.stop()


# ------------------------------------------------------------ the section


def _best_of(runs):
    """Of repeated measurements, the one with the highest sustained rate
    (interference from other processes only ever lowers it)."""

    def key(figures):
        sustained = figures["sustained"]
        return sustained["achieved_rate"] if sustained else -1

    chosen = max(runs, key=key)
    chosen = dict(chosen)
    chosen["bytes_per_connection"] = min(r["bytes_per_connection"] for r in runs)
    chosen["rounds"] = len(runs)
    return chosen


def sweep(settings, profile=None, say=print):
    figures = {}
    for connections in settings.connections:
        for round_index in range(settings.rounds):
            order = list(settings.servers)
            if round_index % 2:
                order.reverse()
            for kind in order:
                figures.setdefault((kind, connections), []).append(
                    measure(
                        kind,
                        connections,
                        settings,
                        profile=profile if kind in ("ours", "gateway") else None,
                        say=say,
                    )
                )
    return {key: _best_of(runs) for key, runs in figures.items()}


def _row(figures):
    sustained = figures["sustained"]
    closed = figures["closed"]
    if sustained is None:
        rate = p50 = p99 = cpu = gen = "-"
    else:
        rate = "%.0f" % sustained["achieved_rate"]
        p50 = "%.1f" % sustained["p50_ms"]
        p99 = "%.1f" % sustained["p99_ms"]
        cpu = "%.0f%%" % sustained["server_cpu_pct"]
        gen = "%.0f%%" % sustained["generator_cpu_pct"]
    return [
        LABELS[figures["server"]],
        "{:,}".format(figures["connections"]),
        rate,
        p50,
        p99,
        cpu,
        gen,
        "%.0f" % closed["achieved_rate"],
        "%.0f" % closed["server_cpu_us_per_call"],
        "%.0f%%" % (100.0 * closed["server_gc_pct"] / max(closed["server_cpu_pct"], 1e-9)),
        "%.0f" % max(s["server_longest_gc_ms"] for s in [closed] + figures["steps"]),
        "%.1f" % (figures["bytes_per_connection"] / 1024),
    ]


def report(by_key, settings, say=print):
    headers = [
        "server",
        "N",
        "sustained calls/s",
        "p50 ms",
        "p99 ms",
        "server CPU",
        "gen CPU",
        "closed-loop calls/s",
        "CPU us/call",
        "GC share",
        "max GC ms",
        "KiB/conn",
    ]
    rows = []
    for connections in settings.connections:
        for kind in settings.servers:
            if (kind, connections) in by_key:
                rows.append(_row(by_key[(kind, connections)]))
    say(results.table(headers, rows, "lrrrrrrrrrrr"))
    say(
        "sustained = highest offered rate with p99 < %.0f ms from the scheduled send time,"
        " nothing lost, no CALLERROR, >= %.0f%% of the rate achieved; CPU 100%% = one core;"
        " CPU us/call = server CPU time per call in the closed loop, GC share = part of it"
        " spent in the cyclic garbage collector; max GC ms = longest collection seen"
        % (P99_BOUND_MS, 100 * MIN_ACHIEVED)
    )
    ratios = {}
    for connections in settings.connections:
        ours = by_key.get(("ours", connections))
        if ours is None:
            continue
        line = {}
        for other in ("mobility", "bare"):
            theirs = by_key.get((other, connections))
            if theirs is None:
                continue
            if ours["sustained"] is not None and theirs["sustained"] is not None:
                line[other] = (
                    ours["sustained"]["achieved_rate"] / theirs["sustained"]["achieved_rate"]
                )
            # calls per CPU-second: what each would do with a core to itself
            line[other + "_by_cpu"] = (
                theirs["closed"]["server_cpu_us_per_call"]
                / ours["closed"]["server_cpu_us_per_call"]
            )
        ratios[connections] = line
        say(
            "N=%d: ours / mobilityhouse = %s sustained, %s by CPU per call (target >= 5x);"
            " ours / bare floor = %s sustained, %s by CPU per call (target >= 60%%)"
            % (
                connections,
                _ratio(line, "mobility"),
                _ratio(line, "mobility_by_cpu"),
                _ratio(line, "bare", percent=True),
                _ratio(line, "bare_by_cpu", percent=True),
            )
        )
    for connections in settings.connections:
        ours = by_key.get(("ours", connections))
        if ours is not None:
            say(
                "N=%d: ours holds %.1f KiB per connection (target at 10,000: <= 24 KiB)"
                % (connections, ours["bytes_per_connection"] / 1024)
            )
    for connections in settings.connections:
        line = gateway_ratios(by_key, connections)
        if line:
            ratios.setdefault(connections, {}).update(line)
            say(gateway_summary(connections, line))
    return ratios


def _sustained(figures):
    if figures is None or figures["sustained"] is None:
        return None
    return figures["sustained"]["achieved_rate"]


def gateway_ratios(by_key, connections):
    """Issue 14's figures: the gateway tier against mobilityhouse (target
    >= 3x) and against the in-process CentralSystem (>= 40%), sustained
    rates; --workers 2 against one worker; CPU per call of each."""
    gateway = by_key.get(("gateway", connections))
    if gateway is None:
        return {}
    line = {
        "gateway_cpu_us_per_call": gateway["closed"]["server_cpu_us_per_call"],
        "gateway_process_cpu_us_per_call": gateway["closed"]["server_own_cpu_us_per_call"],
    }
    rate = _sustained(gateway)
    for other, key in (("mobility", "gateway_vs_mobility"), ("ours", "gateway_vs_ours")):
        theirs = _sustained(by_key.get((other, connections)))
        if rate is not None and theirs:
            line[key] = rate / theirs
    workers = by_key.get(("gateway-w2", connections))
    if workers is not None:
        line["workers2_cpu_us_per_call"] = workers["closed"]["server_cpu_us_per_call"]
        if rate and _sustained(workers) is not None:
            line["workers2_vs_one"] = _sustained(workers) / rate
    return line


def _ratio(line, key, percent=False):
    """line[key] as "2.50x" (or "250%"), "-" when the run did not measure it."""
    if key not in line:
        return "-"
    return "%.0f%%" % (100 * line[key]) if percent else "%.2fx" % line[key]


def gateway_summary(connections, line):
    return (
        "N=%d: gateway+Mosquitto+service / mobilityhouse = %s sustained (target >= 3x);"
        " / ours in-process = %s (target >= 40%%); --workers 2 / one = %s;"
        " CPU per call %s us (one worker), %s us (two), all three tiers; %s us in the"
        " gateway process"
        % (
            connections,
            _ratio(line, "gateway_vs_mobility"),
            _ratio(line, "gateway_vs_ours", percent=True),
            _ratio(line, "workers2_vs_one"),
            "%.0f" % line["gateway_cpu_us_per_call"],
            "%.0f" % line["workers2_cpu_us_per_call"]
            if "workers2_cpu_us_per_call" in line
            else "-",
            "%.0f" % line["gateway_process_cpu_us_per_call"],
        )
    )


def run(settings=None, profile=None):
    if settings is None:
        settings = default_settings(full=os.environ.get("BENCH_LOAD") == "full")
    say = print
    say(
        "load: N = %s, servers %s, steps %.1f s + %.1f s warm-up, %d search steps; loadavg %.2f"
        % (
            ", ".join("{:,}".format(n) for n in settings.connections),
            ", ".join(settings.servers),
            settings.measure,
            settings.warmup,
            settings.search_steps,
            os.getloadavg()[0],
        )
    )
    by_key = sweep(settings, profile=profile, say=say)
    ratios = report(by_key, settings, say=say)
    data = {
        "settings": vars(settings),
        "p99_bound_ms": P99_BOUND_MS,
        "figures": [by_key[key] for key in sorted(by_key, key=lambda k: (k[1], k[0]))],
        "ratios": {str(n): r for n, r in ratios.items()},
    }
    path = results.write("load", data)
    say("wrote %s" % os.path.relpath(path, ROOT))
    return data
