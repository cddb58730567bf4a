"""The load generator: N simulated charge points in one process, each a
minimal WebSocket client written on an asyncio Protocol (no ``websockets``
library on this side: a frame is built with two struct packs and an
integer XOR for the mask, and an answer is matched by comparing bytes), so
the generator spends as little CPU per call as Python allows.

Run as ``python -m bench.load.generator URL N`` by bench/load/__init__.py;
it talks JSON lines: on stdout it reports, on stdin it takes commands.

    -> {"event": "connected", ...}      all N upgraded and BootNotification answered
    <- {"cmd": "open", "rate": R, "warmup": s, "measure": s}
    -> {"event": "step", ...}           figures of that step (see Step.report)
    <- {"cmd": "closed", "warmup": s, "measure": s, "active": k}
    -> {"event": "step", ...}
    <- {"cmd": "quit"}

Each simulated charge point keeps at most one CALL outstanding (OCPP-J
4.1.1). Its calls alternate three MeterValues (four sampled values, a
realistic ~450-byte frame) and one Heartbeat.

``open`` is an open-loop schedule: connection i sends its k-th call at
``start + (phase_i + k) * N / R`` or, if the previous answer came later,
as soon as it came; latency is counted from the scheduled time, so a slow
server cannot hide its backlog (no coordinated omission). A call
scheduled inside the measurement window but not yet sent when the window
closes counts as backlog. ``closed`` sends each next call as soon as the
previous answer arrives: the saturation throughput (on ``active`` of
the N connections, spread evenly, so that the round trip stays short).

Bounds: N is capped (MAX_CONNECTIONS), connection set-up runs at most
CONNECT_CONCURRENCY handshakes at once and gives up after CONNECT_TIMEOUT,
every step ends after its window plus DRAIN_TIMEOUT, and the process exits
when stdin closes.
"""

import asyncio
import base64
import hashlib
import json
import os
import random
import resource
import struct
import sys
import time

MAX_CONNECTIONS = 20000
CONNECT_CONCURRENCY = 64
CONNECT_TIMEOUT = 120.0
DRAIN_TIMEOUT = 5.0
MAX_FRAME = 1 << 20

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_clock = time.monotonic


def raise_open_files(wanted):
    """Raise the soft RLIMIT_NOFILE to ``wanted`` (capped by the hard
    limit); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------ frames


def masked_frame(payload, opcode=0x1):
    """A client frame (FIN set, masked as RFC 6455 5.3 requires)."""
    length = len(payload)
    key = random.getrandbits(32)
    if length < 126:
        header = struct.pack("!BBI", 0x80 | opcode, 0x80 | length, key)
    elif length < 65536:
        header = struct.pack("!BBHI", 0x80 | opcode, 0xFE, length, key)
    else:
        header = struct.pack("!BBQI", 0x80 | opcode, 0xFF, length, key)
    if length:
        words = (length + 3) // 4
        stream = int.from_bytes(key.to_bytes(4, "big") * words, "big") >> (8 * (words * 4 - length))
        payload = (int.from_bytes(payload, "big") ^ stream).to_bytes(length, "big")
    return header + payload


class _Clock:
    """ISO 8601 UTC timestamp, rebuilt at most once a second."""

    def __init__(self):
        self._second = None
        self._text = None

    def now(self):
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._text


_TIMESTAMPS = _Clock()

_BOOT = (
    '[2,"%s","BootNotification",{"chargePointVendor":"LoadGen",'
    '"chargePointModel":"Sim-22kW","chargePointSerialNumber":"SIM-%06d",'
    '"firmwareVersion":"1.0.0"}]'
)
_HEARTBEAT = '[2,"%s","Heartbeat",{}]'
_METER_VALUES = (
    '[2,"%s","MeterValues",{"connectorId":1,"transactionId":%d,"meterValue":'
    '[{"timestamp":"%s","sampledValue":['
    '{"value":"%d","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unit":"Wh"},'
    '{"value":"7360","context":"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"},'
    '{"value":"32.0","context":"Sample.Periodic","measurand":"Current.Import","phase":"L1","unit":"A"},'
    '{"value":"230.1","context":"Sample.Periodic","measurand":"Voltage","phase":"L1-N","unit":"V"}]}]}]'
)


# ------------------------------------------------------------ one connection


class ChargePointProtocol(asyncio.Protocol):
    __slots__ = (
        "generator",
        "index",
        "transport",
        "upgraded",
        "ready",
        "buffer",
        "key",
        "seq",
        "pending",
        "pending_due",
        "next_due",
        "timer",
        "energy",
        "closed",
    )

    def __init__(self, generator, index):
        self.generator = generator
        self.index = index
        self.transport = None
        self.upgraded = False
        self.ready = generator.loop.create_future()
        self.buffer = b""
        self.key = base64.b64encode(os.urandom(16))
        self.seq = 0
        self.pending = None  # unique id (bytes) of the outstanding CALL
        self.pending_due = 0.0
        self.next_due = None
        self.timer = None
        self.energy = 1000 * index
        self.closed = False

    # ---------------------------------------------------- handshake

    def connection_made(self, transport):
        self.transport = transport
        generator = self.generator
        request = (
            "GET %s/CP%06d HTTP/1.1\r\n"
            "Host: %s\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: ocpp1.6\r\n"
            "\r\n" % (generator.path, self.index, generator.host_header, self.key.decode())
        )
        transport.write(request.encode("ascii"))

    def _finish_handshake(self):
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > 16384:
                self._fail("handshake response too long")
            return
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        self.buffer = self.buffer[end + 4 :]
        if not head[0].startswith("HTTP/1.1 101"):
            self._fail("handshake refused: %s" % head[0])
            return
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(self.key + _GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            self._fail("bad Sec-WebSocket-Accept")
            return
        if headers.get("sec-websocket-protocol") != "ocpp1.6":
            self._fail("subprotocol ocpp1.6 not selected")
            return
        self.upgraded = True
        self._call(_BOOT % (self._next_id(), self.index), _clock())

    # ---------------------------------------------------- frames in

    def data_received(self, data):
        self.buffer += data
        if not self.upgraded:
            self._finish_handshake()
            if not self.upgraded:
                return
        buffer = self.buffer
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            first = buffer[offset]
            length = buffer[offset + 1]
            if length & 0x80:
                self._fail("server frame is masked")
                return
            start = offset + 2
            if length == 126:
                if size - offset < 4:
                    break
                length = (buffer[offset + 2] << 8) | buffer[offset + 3]
                start = offset + 4
            elif length == 127:
                if size - offset < 10:
                    break
                length = struct.unpack_from("!Q", buffer, offset + 2)[0]
                start = offset + 10
                if length > MAX_FRAME:
                    self._fail("frame too large")
                    return
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            if opcode == 0x1:
                if not first & 0x80:
                    self._fail("fragmented message (not expected here)")
                    return
                self._on_message(buffer[start:end])
            elif opcode == 0x9:
                self.transport.write(masked_frame(buffer[start:end], 0xA))
            elif opcode == 0x8:
                self._fail("server closed the connection")
                return
            elif opcode != 0xA:
                self._fail("unexpected opcode %d" % opcode)
                return
            offset = end
        self.buffer = buffer[offset:] if offset else buffer

    def _on_message(self, message):
        pending = self.pending
        now = _clock()
        if pending is None:
            self.generator.stray += 1
            return
        # "[3," or "[3, " (JSON allows whitespace; json.dumps puts it in)
        kind = message[1:2]
        if kind in b" \t\r\n":
            kind = message[1:].lstrip()[:1]
        quote = message.find(b'"') + 1
        n = len(pending)
        if message[quote : quote + n] != pending or message[quote + n : quote + n + 1] != b'"':
            self.generator.stray += 1
        elif kind == b"3":
            self.pending = None
            self.generator.answered(self, now)
        elif kind == b"4":
            self.pending = None
            self.generator.call_errors += 1
            self.generator.last_problem = message[:200].decode("utf-8", "replace")
            self.generator.answered(self, now, ok=False)
        else:
            self.generator.stray += 1

    # ---------------------------------------------------- frames out

    def _next_id(self):
        self.seq += 1
        return "%x.%x" % (self.index, self.seq)

    def _call(self, text, due):
        unique_id = text[4 : text.index('"', 4)]
        self.pending = unique_id.encode("ascii")
        self.pending_due = due
        self.transport.write(masked_frame(text.encode("ascii")))

    def send_next(self, due):
        """Send the next steady-state call, scheduled for ``due``."""
        self.timer = None
        if self.closed or self.pending is not None:
            return
        unique_id = self._next_id()
        if self.seq & 3:
            self.energy += 37
            text = _METER_VALUES % (
                unique_id,
                self.index + 1,
                _TIMESTAMPS.now(),
                self.energy,
            )
        else:
            text = _HEARTBEAT % unique_id
        self._call(text, due)

    def _fail(self, why):
        self.generator.failure(self, why)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc):
        if not self.closed:
            self.closed = True
            self.generator.lost_connection(self, exc)


# ------------------------------------------------------------ steps


class Step:
    """Counters of one measured step."""

    def __init__(self, mode, rate, start, warmup, measure):
        self.mode = mode
        self.rate = rate
        self.window_start = start + warmup
        self.window_end = self.window_start + measure
        self.measure = measure
        self.latencies = []  # seconds, calls due in the window
        self.answered_in_window = 0
        self.failed_in_window = 0
        self.sent_in_window = 0
        self.stopping = False

    def report(self, backlog, lost, cpu, wall, extra):
        latencies = sorted(self.latencies)

        def quantile(q):
            if not latencies:
                return None
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        report = {
            "event": "step",
            "mode": self.mode,
            "offered_rate": self.rate,
            "measure_s": self.measure,
            "sent": self.sent_in_window,
            "answered": self.answered_in_window,
            "call_errors": self.failed_in_window,
            "achieved_rate": self.answered_in_window / self.measure,
            "backlog": backlog,
            "lost": lost,
            "p50_ms": quantile(0.50),
            "p90_ms": quantile(0.90),
            "p99_ms": quantile(0.99),
            "max_ms": latencies[-1] * 1000 if latencies else None,
            "generator_cpu_s": cpu,
            "generator_wall_s": wall,
        }
        report.update(extra)
        return report


class Generator:
    def __init__(self, url, connections):
        if not url.startswith("ws://"):
            raise SystemExit("only ws:// URLs")
        rest = url[len("ws://") :]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.partition(":")
        self.host = host
        self.port = int(port or 80)
        self.host_header = hostport
        self.path = ("/" + path).rstrip("/")
        self.count = connections
        self.loop = asyncio.get_running_loop()
        self.connections = []
        self.step = None
        self.call_errors = 0
        self.stray = 0
        self.failures = 0
        self.closed_connections = 0
        self.last_problem = None
        self._drained = None

    # ---------------------------------------------------- set-up

    async def connect_all(self):
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        started = _clock()

        async def one(index):
            async with gate:
                _, protocol = await self.loop.create_connection(
                    lambda: ChargePointProtocol(self, index), self.host, self.port
                )
                self.connections.append(protocol)
                await protocol.ready  # BootNotification answered

        await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(self.count))), CONNECT_TIMEOUT
        )
        return _clock() - started

    # ---------------------------------------------------- events

    def answered(self, connection, now, ok=True):
        if not connection.ready.done():
            if ok:
                connection.ready.set_result(None)
            else:
                connection.ready.set_exception(
                    RuntimeError("BootNotification refused: %s" % self.last_problem)
                )
            return
        step = self.step
        if step is None:
            return
        due = connection.pending_due
        if step.window_start <= due < step.window_end:
            if ok:
                step.answered_in_window += 1
                step.latencies.append(now - due)
            else:
                step.failed_in_window += 1
        if step.stopping:
            self._check_drained()
            return
        if step.mode == "closed":
            connection.send_next(now)
            if step.window_start <= now < step.window_end:
                step.sent_in_window += 1
            return
        interval = step.interval
        due = connection.next_due + interval
        connection.next_due = due
        if due <= now:
            self._send_open(connection, due)
        else:
            connection.timer = self.loop.call_at(due, self._send_open, connection, due)

    def _send_open(self, connection, due):
        step = self.step
        connection.timer = None
        if step is None or step.stopping:
            return
        connection.send_next(due)
        if step.window_start <= due < step.window_end:
            step.sent_in_window += 1

    def failure(self, connection, why):
        self.failures += 1
        self.last_problem = why
        if not connection.ready.done():
            connection.ready.set_exception(RuntimeError(why))

    def lost_connection(self, connection, exc):
        self.closed_connections += 1
        if self.last_problem is None:
            self.last_problem = "connection lost: %r" % (exc,)
        if not connection.ready.done():
            connection.ready.set_exception(RuntimeError(self.last_problem))
        if connection.timer is not None:
            connection.timer.cancel()
        self._check_drained()

    def _check_drained(self):
        if self._drained is not None and not self._drained.done():
            if not any(c.pending is not None and not c.closed for c in self.connections):
                self._drained.set_result(None)

    # ---------------------------------------------------- a step

    async def run_step(self, mode, rate, warmup, measure, active=None):
        connections = self.connections
        errors_before = (self.call_errors, self.failures, self.closed_connections, self.stray)
        cpu_before = cpu_seconds()
        start = _clock() + 0.05
        step = Step(mode, rate, start, warmup, measure)
        self.step = step
        if mode == "open":
            step.interval = len(connections) / float(rate)
            for connection in connections:
                phase = random.random() * step.interval
                connection.next_due = start + phase
                connection.timer = self.loop.call_at(
                    start + phase, self._send_open, connection, start + phase
                )
        else:
            # every k-th connection, so a closed loop at large N keeps the
            # round trip (active / throughput) inside the window
            stride = max(1, len(connections) // (active or len(connections)))
            for connection in connections[::stride]:
                connection.timer = self.loop.call_at(start, connection.send_next, start)
        await asyncio.sleep(start + warmup + measure - _clock())
        step.stopping = True
        stopped_at = _clock()
        backlog = 0
        for connection in connections:
            unsent_due = connection.next_due
            if connection.timer is not None:
                connection.timer.cancel()
                connection.timer = None
            elif connection.pending is not None and mode == "open":
                unsent_due = connection.pending_due + step.interval
            if mode != "open":
                continue
            # Calls due in the window that could not leave because the
            # previous answer was still awaited: they count, with the time
            # they have waited so far as a lower bound of their latency.
            while unsent_due < step.window_end:
                backlog += 1
                step.latencies.append(stopped_at - unsent_due)
                unsent_due += step.interval
        self._drained = self.loop.create_future()
        self._check_drained()
        try:
            await asyncio.wait_for(self._drained, DRAIN_TIMEOUT)
        except asyncio.TimeoutError:
            pass
        self._drained = None
        lost = sum(1 for c in connections if c.pending is not None)
        wall = _clock() - start
        cpu = cpu_seconds() - cpu_before
        self.step = None
        for connection in connections:
            connection.pending = None
        extra = {
            "connections_open": sum(1 for c in connections if not c.closed),
            "call_errors_total": self.call_errors - errors_before[0],
            "failures": self.failures - errors_before[1],
            "closed_connections": self.closed_connections - errors_before[2],
            "stray_messages": self.stray,
            # answers matching no outstanding CALL: duplicated (or misrouted)
            "stray_in_step": self.stray - errors_before[3],
            "last_problem": self.last_problem,
        }
        return step.report(backlog, lost, cpu, wall, extra)


def _emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


async def main(url, connections):
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise SystemExit("connections must be 1..%d" % MAX_CONNECTIONS)
    limit = raise_open_files(connections + 256)
    if limit < connections + 64:
        raise SystemExit("open-file limit %d is too low for %d connections" % (limit, connections))
    generator = Generator(url, connections)
    cpu_before = cpu_seconds()
    try:
        seconds = await generator.connect_all()
    except Exception as exc:
        _emit(
            {
                "event": "failed",
                "why": "%s: %s" % (type(exc).__name__, exc),
                "connected": len(generator.connections),
                "last_problem": generator.last_problem,
            }
        )
        return 1
    _emit(
        {
            "event": "connected",
            "connections": len(generator.connections),
            "seconds": seconds,
            "generator_cpu_s": cpu_seconds() - cpu_before,
        }
    )
    reader = asyncio.StreamReader()
    await generator.loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return 0
        command = json.loads(line)
        if command["cmd"] == "quit":
            return 0
        report = await generator.run_step(
            command["cmd"],
            command.get("rate"),
            command["warmup"],
            command["measure"],
            command.get("active"),
        )
        _emit(report)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
