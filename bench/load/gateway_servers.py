"""The gateway under load: ``ocppj gateway`` + Mosquitto + a Python
service, started by bench/load/servers.py as the kinds ``gateway`` (one
gateway, in the server process itself) and ``gateway-w2`` (``--workers
2``: two gateway processes on one port).

The server process is the parent of Mosquitto, the service
(examples/gateway_service.py, an MQTT client answering every CALL) and,
for ``gateway-w2``, the gateway workers; bench/load counts the CPU of
the whole process tree, so CPU per call is what the three tiers cost
together. Mosquitto runs as the gateway docs recommend: persistence on,
QoS 1 both ways.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICE = os.path.join(ROOT, "examples", "gateway_service.py")


def mosquitto_binary():
    found = shutil.which("mosquitto")
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/local/sbin"):
        candidate = os.path.join(folder, "mosquitto")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port, process, what, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, process.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not listen on %d within %ss" % (what, port, timeout))


class _Tier:
    """Mosquitto and the service, in a scratch folder."""

    def __init__(self):
        binary = mosquitto_binary()
        if binary is None:
            raise RuntimeError("mosquitto not found: apt-get install mosquitto")
        self.folder = tempfile.mkdtemp(prefix="bench-gateway-")
        self.port = free_port()
        config = os.path.join(self.folder, "mosquitto.conf")
        with open(config, "w") as handle:
            handle.write(
                "listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
                "persistence_location %s/\nautosave_interval 60\nmax_queued_messages 100000\n"
                "max_inflight_messages 0\nset_tcp_nodelay true\nlog_type error\n%s"
                % (self.port, self.folder, "user root\n" if os.geteuid() == 0 else "")
            )
        self.broker = subprocess.Popen(
            [binary, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_listening(self.port, self.broker, "mosquitto")
        self.url = "mqtt://127.0.0.1:%d" % self.port
        self.service = subprocess.Popen(
            [sys.executable, SERVICE, "--broker", self.url, "--ready"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if self.service.stdout.readline().strip() != "ready":
            raise RuntimeError("the gateway service did not start")
        self.workers = None

    def stop(self):
        for process in (self.workers, self.service, self.broker):
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.service.stdout:
            self.service.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


async def serve_gateway(common, workers=1):
    """(port, close) of a gateway tier; ``common`` holds the WebSocket
    options every server of the load bench uses."""
    tier = _Tier()
    try:
        if workers == 1:
            from ocpp16 import protocol
            from ocppj_aio.cli import tune_gc
            from ocppj_aio.gateway import Gateway

            gateway = Gateway(
                protocol=protocol,
                broker=tier.url,
                host="127.0.0.1",
                port=0,
                ping_interval=common["ping_interval"],
                ping_timeout=common["ping_timeout"],
                max_message_size=common["max_size"],
                compression=None,
            )
            await gateway.start()
            tune_gc()  # as `ocppj gateway` does
            port = gateway.port

            async def close():
                await gateway.close()
                tier.stop()

            return port, close
        port = free_port()
        tier.workers = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ocppj_aio.gateway",
                "--broker",
                tier.url,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_listening(port, tier.workers, "the gateway workers")
        await asyncio.sleep(1.5)  # every worker listening and on the broker

        async def close_workers():
            tier.stop()

        return port, close_workers
    except BaseException:
        tier.stop()
        raise
