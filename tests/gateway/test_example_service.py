"""examples/gateway_service.py as a person runs it: Mosquitto, `python -m
ocppj_aio.gateway`, the service, and a charge point that boots, sends
its status, a heartbeat and meter values, and gets a remote start."""

import asyncio
import os
import subprocess
import sys

from gateway_support import ChargePoint, run, wait_for
from mosquitto_broker import Mosquitto, free_port
from ocpp16 import call, call_result, protocol
from ocppj.routing import on
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class StartableChargePoint(ChargePoint):
    role = "ChargePoint"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = []

    @on("RemoteStartTransaction")
    def remote_start(self, id_tag, **fields):
        self.started.append(id_tag)
        return call_result.RemoteStartTransaction(status="Accepted")


def test_the_example_service_answers_a_charge_point_and_starts_a_transaction(tmp_path):
    with Mosquitto(tmp_path) as broker:
        port = free_port()
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ocppj_aio.gateway",
                    "--broker",
                    broker.url,
                    "--port",
                    str(port),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            subprocess.Popen(
                [
                    sys.executable,
                    os.path.join(ROOT, "examples", "gateway_service.py"),
                    "--broker",
                    broker.url,
                    "--remote-start",
                    "TAG-1",
                    "--ready",
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        ]
        try:
            assert "charge points at" in processes[0].stdout.readline()
            assert processes[1].stdout.readline().strip() == "ready"
            run(_session(port))
        finally:
            for process in processes:
                process.terminate()
                process.wait(15)
                process.stdout.close()
                process.stderr.close()


async def _session(port):
    async with connect("ws://127.0.0.1:%d/CP-EX-1" % port, subprotocols=["ocpp1.6"]) as websocket:
        cp = StartableChargePoint("CP-EX-1", websocket, protocol=protocol)
        reader = asyncio.ensure_future(_read(cp))
        boot = await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        assert boot.status == "Accepted"
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        )
        assert (await cp.call(call.Heartbeat())).current_time
        await cp.call(
            call.MeterValues(
                connector_id=1,
                meter_value=[
                    {"timestamp": "2026-01-01T00:00:00Z", "sampled_value": [{"value": "1"}]}
                ],
            )
        )
        await wait_for(lambda: cp.started == ["TAG-1"], timeout=10)
        reader.cancel()


async def _read(cp):
    try:
        await cp.start()
    except ConnectionClosed:
        pass
