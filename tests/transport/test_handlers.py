"""`ocppj serve --handlers MODULE[:CLASS]`: a user's ChargePoint class,
hooks and main() loaded and run in a CentralSystem, demo answers for
the rest."""

import asyncio
import os
import subprocess
import sys

import pytest
from ocpp16 import call, protocol
from ocppj_aio.demo import answering_class
from ocppj_aio.handlers import HandlersError, load_handlers
from ocppj_aio.server import CentralSystem
from transport_support import HOST, free_port, open_websocket, run, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "serve_handlers.py")


AnsweringChargePoint = answering_class(protocol, "ChargePoint")


def test_the_example_handlers_answer_their_calls_the_demo_the_rest_and_main_pushes_calls():
    handlers = load_handlers(EXAMPLE, protocol)

    async def scenario():
        async with CentralSystem(
            handlers.charge_point_class,
            protocol=protocol,
            host=HOST,
            port=0,
            on_connect=handlers.on_connect,
        ) as server:
            pushing = asyncio.ensure_future(handlers.main(server))
            websocket = await open_websocket(server.url("CP-H-1"))
            cp = AnsweringChargePoint("CP-H-1", websocket, protocol=protocol)
            asked = []
            # what the central system asks, seen where the router takes it
            asked_by_central_system = cp._router.prepare

            def prepare(event):
                asked.append(event.action)
                return asked_by_central_system(event)

            cp._router.prepare = prepare
            reader = asyncio.ensure_future(cp.start())
            boot = await cp.call(
                call.BootNotification(charge_point_vendor="V", charge_point_model="M")
            )
            assert boot.status == "Accepted"  # the demo's answer
            known = await cp.call(call.Authorize(id_tag="TAG-1"))
            unknown = await cp.call(call.Authorize(id_tag="NOBODY"))
            assert known.id_tag_info.status == "Accepted"  # the module's handler
            assert unknown.id_tag_info.status == "Invalid"
            await wait_for(
                lambda: asked == ["GetConfiguration", "RemoteStartTransaction"], timeout=5
            )
            pushing.cancel()
            reader.cancel()
            await websocket.close()

    run(scenario())


def test_a_module_without_one_charge_point_class_is_refused_naming_why(tmp_path):
    empty = tmp_path / "empty_handlers.py"
    empty.write_text("X = 1\n")
    with pytest.raises(HandlersError, match="exactly one ChargePoint subclass"):
        load_handlers(str(empty), protocol)
    with pytest.raises(HandlersError, match="no such module"):
        load_handlers("no_such_handlers_module", protocol)
    with pytest.raises(HandlersError, match="no such file"):
        load_handlers(str(tmp_path / "missing.py"), protocol)
    with pytest.raises(HandlersError, match="not a ChargePoint subclass"):
        load_handlers("json:JSONDecoder", protocol)


def test_ocppj_serve_runs_the_handlers_module_and_its_main():
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocppj_aio.cli",
            "serve",
            "--handlers",
            EXAMPLE,
            "--port",
            str(port),
            "--quiet",
            "--duration",
            "20",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening" in server.stdout.readline()

        async def until_started():
            websocket = await open_websocket("ws://127.0.0.1:%d/CP-H-2" % port)
            cp = AnsweringChargePoint("CP-H-2", websocket, protocol=protocol)
            reader = asyncio.ensure_future(cp.start())
            refused = await cp.call(call.Authorize(id_tag="NOBODY"))
            assert refused.id_tag_info.status == "Invalid"  # the module's handler
            loop = asyncio.get_running_loop()
            line = await loop.run_in_executor(None, _line_with, server.stdout, "remote start")
            reader.cancel()
            await websocket.close()
            return line

        line = run(until_started())
        assert line.strip() == "[handlers] remote start on CP-H-2: Accepted"
    finally:
        server.terminate()
        server.wait(15)
        server.stdout.close()
        server.stderr.close()


def _line_with(stream, words):
    for line in stream:
        if words in line:
            return line
    return ""


def test_ocppj_serve_with_a_handlers_module_it_cannot_use_is_one_line_exit_2():
    done = subprocess.run(
        [sys.executable, "-m", "ocppj_aio.cli", "serve", "--handlers", "no_such_module_x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such module" in lines[0], done.stderr
