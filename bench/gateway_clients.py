"""MQTT client libraries for the gateway, measured in one run: gmqtt (the
one the gateway uses) against aiomqtt on paho-mqtt.

One publisher and one subscriber in this process, QoS 1 both ways,
through a Mosquitto started here on a free port; N messages of the size
of an EMQX-format MeterValues CALL, spread over 1,000 topics. Figures:
messages per second from the first publish to the last delivery, and the
CPU this process spent per message (publish + PUBACK + delivery +
PUBACK). ``python -m bench.gateway_clients``; BENCH_QUICK=1 sends fewer.
"""

import asyncio
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import results
from .load.gateway_servers import mosquitto_binary

QUICK = os.environ.get("BENCH_QUICK") == "1"
MESSAGES = 5000 if QUICK else 20000
WINDOW = 200  # publishes in flight (aiomqtt awaits each; gmqtt yields this often)
PAYLOAD = (
    b'{"MessageTypeId":2,"UniqueId":"abc.123","Action":"MeterValues","Payload":'
    + b'{"x":"'
    + b"x" * 370
    + b'"}}'
)


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _gmqtt(port, count):
    import gmqtt

    got = 0
    done = asyncio.Event()

    def on_message(client, topic, payload, qos, properties):
        nonlocal got
        got += 1
        if got == count:
            done.set()
        return 0

    subscriber = gmqtt.Client("bench-sub-gmqtt")
    subscriber.on_message = on_message
    await subscriber.connect("127.0.0.1", port, version=4)
    subscriber.subscribe("bench/#", qos=1)
    publisher = gmqtt.Client("bench-pub-gmqtt")
    await publisher.connect("127.0.0.1", port, version=4)
    await asyncio.sleep(0.3)
    started, cpu = time.perf_counter(), _cpu()
    for index in range(count):
        publisher.publish("bench/cp%d" % (index % 1000), PAYLOAD, qos=1)
        if index % WINDOW == 0:
            await asyncio.sleep(0)
    await asyncio.wait_for(done.wait(), 120)
    figures = time.perf_counter() - started, _cpu() - cpu
    await publisher.disconnect()
    await subscriber.disconnect()
    return figures


async def _aiomqtt(port, count):
    import logging

    import aiomqtt

    quiet = logging.getLogger("bench.aiomqtt")
    quiet.setLevel(logging.ERROR)  # it warns about every pending publish past 10
    options = dict(
        protocol=aiomqtt.ProtocolVersion.V311,
        max_inflight_messages=1000,
        max_queued_outgoing_messages=100000,
        logger=quiet,
    )
    async with (
        aiomqtt.Client("127.0.0.1", port, identifier="bench-sub-aiomqtt", **options) as subscriber,
        aiomqtt.Client("127.0.0.1", port, identifier="bench-pub-aiomqtt", **options) as publisher,
    ):
        await subscriber.subscribe("bench/#", qos=1)
        await asyncio.sleep(0.3)
        got = 0

        async def consume():
            nonlocal got
            async for _ in subscriber.messages:
                got += 1
                if got == count:
                    return

        started, cpu = time.perf_counter(), _cpu()
        consumer = asyncio.ensure_future(consume())
        window = asyncio.Semaphore(WINDOW)

        async def one(index):
            async with window:
                await publisher.publish("bench/cp%d" % (index % 1000), PAYLOAD, qos=1)

        await asyncio.gather(*(one(index) for index in range(count)))
        await asyncio.wait_for(consumer, 120)
        return time.perf_counter() - started, _cpu() - cpu


def _broker():
    binary = mosquitto_binary()
    if binary is None:
        return None, None, None
    folder = tempfile.mkdtemp(prefix="bench-mqtt-")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = os.path.join(folder, "mosquitto.conf")
    with open(config, "w") as handle:
        handle.write(
            "listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
            "max_inflight_messages 0\nset_tcp_nodelay true\n" % port
        )
    process = subprocess.Popen(
        [binary, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.3)
    return process, port, folder


def run():
    process, port, folder = _broker()
    if process is None:
        print("mosquitto not found (apt-get install mosquitto): section skipped")
        return None
    rows = []
    data = {"messages": MESSAGES, "payload_bytes": len(PAYLOAD), "clients": {}}
    try:
        for name, scenario in (("gmqtt", _gmqtt), ("aiomqtt", _aiomqtt)):
            try:
                wall, cpu = asyncio.run(scenario(port, MESSAGES))
            except ImportError as missing:
                print("%s not installed (%s): skipped" % (name, missing))
                continue
            rate = MESSAGES / wall
            per_message = 1e6 * cpu / MESSAGES
            data["clients"][name] = {"messages_per_s": rate, "cpu_us_per_message": per_message}
            rows.append([name, "%.0f" % rate, "%.1f" % per_message])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    print(results.table(["client", "messages/s", "CPU us per message"], rows))
    print(
        "%d QoS 1 messages of %d bytes through Mosquitto, publisher and subscriber in one"
        " process; CPU per message covers both ends" % (MESSAGES, len(PAYLOAD))
    )
    path = results.write("gateway_clients", data)
    print("wrote %s" % os.path.relpath(path, results.ROOT))
    return data


if __name__ == "__main__":
    sys.exit(0 if run() is not None else 1)
