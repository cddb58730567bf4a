"""A real MQTT broker for the gateway tests: Debian's Mosquitto, started
on a free 127.0.0.1 port with a configuration file of its own (in a
temporary folder, with persistence there), stopped by the test.

Tests that need it skip with one line when ``mosquitto`` cannot be found
(``apt-get install mosquitto``; .ci/run installs it)."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

HOST = "127.0.0.1"
SEARCH = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")


def mosquitto_binary():
    found = shutil.which("mosquitto")
    if found:
        return found
    for folder in SEARCH:
        candidate = os.path.join(folder, "mosquitto")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require_mosquitto():
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto not found: apt-get install mosquitto (.ci/run does)")
    return binary


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Mosquitto:
    """One broker process. ``restart()`` keeps port and persistence file:
    a graceful stop writes the persistence database, a start reads it."""

    def __init__(self, folder, port=None, extra_config=(), listener_config=(), anonymous=True):
        self.binary = require_mosquitto()
        self.folder = str(folder)
        self.port = port or free_port()
        self.config = os.path.join(self.folder, "mosquitto.conf")
        self.log = os.path.join(self.folder, "mosquitto.log")
        lines = [
            "listener %d %s" % (self.port, HOST),
        ]
        lines.extend(listener_config)
        lines += [
            "allow_anonymous %s" % ("true" if anonymous else "false"),
            "persistence true",
            "persistence_location %s/" % self.folder,
            "autosave_interval 1",
            "max_queued_messages 100000",
            "max_inflight_messages 0",
            # without it Mosquitto's small writes wait for delayed ACKs
            "set_tcp_nodelay true",
            "log_dest file %s" % self.log,
            "log_type error",
            "log_type warning",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # started as root, Mosquitto drops to the user "mosquitto",
            # which cannot write the test's folder (log, persistence)
            lines.append("user root")
        lines.extend(extra_config)
        with open(self.config, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        self.process = None

        self.tls = any(line.startswith("certfile") for line in listener_config)

    @property
    def url(self):
        return "%s://%s:%d" % ("mqtts" if self.tls else "mqtt", HOST, self.port)

    def start(self, timeout=10):
        self.process = subprocess.Popen(
            [self.binary, "-c", self.config],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "mosquitto exited: %s" % self.process.stderr.read().decode(errors="replace")
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("mosquitto did not listen on %d within %ss" % (self.port, timeout))

    def stop(self, graceful=True):
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stderr is not None:
            process.stderr.close()

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
