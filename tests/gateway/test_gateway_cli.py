"""`ocppj gateway` / `python -m ocppj_aio.gateway`: one-line errors with
exit status 2 (usage) or 1 (failure), and --workers on one port."""

import asyncio
import os
import subprocess
import sys
import time

from gateway_support import Service, charge_point, run, wait_for
from mosquitto_broker import Mosquitto, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def gateway_command(*args, timeout=30):
    return subprocess.run(
        [sys.executable, "-m", "ocppj_aio.gateway"] + list(args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_bad_option_is_one_line_and_exit_status_2():
    for args, words in (
        (["--topic", "reply=replies"], "needs ${cid}"),
        (["--topic", "nonsense"], "NAME=VALUE"),
        (["--fallback", "Heartbeet"], "not an OCPP 1.6 action"),
        (["--fallback", "Heartbeat={x"], "not JSON"),
        (["--broker", "http://x"], "mqtt://host:port"),
        (["--security-profile", "1"], "needs one credential source"),
        (["--security-profile", "1", "--password-file", "/nonexistent"], "--password-file"),
        (["--security-profile", "2", "--password", "p"], "needs --certfile"),
        (["--workers", "2", "--port", "0"], "fixed --port"),
    ):
        done = gateway_command(*args)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, done.stderr)


def test_an_unreachable_broker_is_one_line_and_exit_status_1():
    done = gateway_command(
        "--broker", "mqtt://127.0.0.1:%d" % free_port(), "--port", "0", "--broker-wait", "0.5"
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines()[-1].startswith("ocppj gateway: error: cannot reach broker")
    )


def test_two_workers_serve_one_port_as_two_gateways(tmp_path):
    with Mosquitto(tmp_path) as broker:
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ocppj_aio.gateway",
                "--broker",
                broker.url,
                "--port",
                str(port),
                "--workers",
                "2",
                "--gateway-id",
                "gw-W",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            run(_spread(broker, port), timeout=30)
        finally:
            process.terminate()
            process.wait(20)
            out = process.stdout.read()
            process.stdout.close()
            process.stderr.close()
        assert "gateway gw-W-w1 stopped" in out and "gateway gw-W-w2 stopped" in out


async def _spread(broker, port):
    async with Service(broker) as service:
        await service.expect_on("ocpp/gw/gw-W-w1", status="online", timeout=15)
        await service.expect_on("ocpp/gw/gw-W-w2", status="online", timeout=15)
        connections = [
            await charge_point("ws://127.0.0.1:%d/CP-W-%02d" % (port, index)) for index in range(30)
        ]

        def holders():
            found = {}
            for topic, value, _ in service.received:
                if topic.startswith("ocpp/cp/Status/") and value.get("status") == "online":
                    found[topic] = value["gateway"]
            return found

        await wait_for(lambda: len(holders()) == 30, timeout=10)
        assert set(holders().values()) == {"gw-W-w1", "gw-W-w2"}
        for websocket, _, _ in connections:
            await websocket.close()
        await asyncio.sleep(0.1)


def test_the_gateway_waits_for_a_broker_that_is_still_starting(tmp_path):
    broker = Mosquitto(tmp_path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocppj_aio.gateway",
            "--broker",
            broker.url,
            "--port",
            "0",
            "--broker-wait",
            "15",
            "--duration",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert process.poll() is None, process.stderr.read()  # still waiting, not failed
        broker.start()
        assert "charge points at" in process.stdout.readline()
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
        broker.stop()
