"""The ``ocppj`` command: validate verdicts, serve + simulate end to end."""

import gc
import os
import subprocess
import sys
import time

import pytest
from ocpp16 import protocol
from ocppj_aio import cli
from ocppj_aio.demo import (
    CENTRAL_SYSTEM_ANSWERS,
    CHARGE_POINT_ANSWERS,
    default_response,
)
from transport_support import free_port

# (frame, verdict, words the explanation must contain)
TABLE = [
    ('[2,"1","Heartbeat",{}]', "valid", "CALL Heartbeat"),
    (
        '[2,"1","Heartbeat",null]',
        "valid",
        "CALL Heartbeat",
    ),  # OCPP-J 4.2.1: null payload
    (
        '[2,"b","BootNotification",{"chargePointVendor":"V"}]',
        "OccurenceConstraintViolation",
        "chargePointModel violates required",
    ),
    (
        '[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":5}]',
        "TypeConstraintViolation",
        "chargePointModel violates type string",
    ),
    (
        '[2,"b","BootNotification",{"chargePointVendor":"%s","chargePointModel":"M"}]' % ("V" * 21),
        "PropertyConstraintViolation",
        "maxLength 20",
    ),
    (
        '[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","x":1}]',
        "PropertyConstraintViolation",
        "additionalProperties",
    ),
    (
        '[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}]',
        "PropertyConstraintViolation",
        "status violates enum",
    ),
    (
        '[2,"m","MeterValues",{"connectorId":1,"meterValue":[]}]',
        "OccurenceConstraintViolation",
        "minItems 1",
    ),
    ('[2,"f","FlyToTheMoon",{}]', "NotImplemented", "unknown action FlyToTheMoon"),
    ("not json", "FormationViolation", "not valid JSON"),
    ('[2,"1","Heartbeat",{}] trailing', "FormationViolation", "not valid JSON"),
    ('{"a":1}', "FormationViolation", "not a JSON array"),
    ('[2,"1"]', "ProtocolError", "incomplete"),
    ("[]", "ProtocolError", "empty"),
    ('[7,"1",{}]', "FormationViolation", "unknown message type id 7"),
    ('[2,1,"Heartbeat",{}]', "FormationViolation", "unique id is not a string"),
    ('[2,"%s","Heartbeat",{}]' % ("x" * 37), "FormationViolation", "longer than 36"),
    ('[2,"1","Heartbeat",[]]', "FormationViolation", "payload is not a JSON object"),
    ('[2,"1","Heartbeat",{},5]', "FormationViolation", "5 elements instead of 4"),
    ("[" * 40 + "]" * 40, "FormationViolation", "nesting deeper than 32"),
    ('[4,"9","NotSupported","",{}]', "valid", "CALLERROR NotSupported"),
    ('[4,"9","GenericError",5,{}]', "FormationViolation", "never answered"),
    ('[3,"9",{"status":"Accepted"}]', "valid", "payload not checked"),
]


@pytest.mark.parametrize("frame, verdict, words", TABLE)
def test_validate_verdicts(frame, verdict, words):
    got, detail = cli.validate_frame(protocol, frame)
    assert (got, words in detail) == (verdict, True), detail


def test_validate_checks_a_result_against_the_call_with_its_id():
    calls = {}
    assert cli.validate_frame(protocol, '[2,"h1","Heartbeat",{}]', calls=calls)[0] == "valid"
    verdict, detail = cli.validate_frame(
        protocol, '[3,"h1",{"currentTime":"yesterday"}]', calls=calls
    )
    assert verdict == "PropertyConstraintViolation" and "format date-time" in detail
    cli.validate_frame(protocol, '[2,"h2","Heartbeat",{}]', calls=calls)
    verdict, detail = cli.validate_frame(
        protocol, '[3,"h2",{"currentTime":"2024-01-01T00:00:00Z"}]', calls=calls
    )
    assert (verdict, detail) == ("valid", "CALLRESULT Heartbeat.conf")


def test_validate_direction_depends_on_the_receiver_role():
    reset = '[2,"r","Reset",{"type":"Soft"}]'
    assert cli.validate_frame(protocol, reset)[0] == "valid"
    assert cli.validate_frame(protocol, reset, role="ChargePoint")[0] == "valid"
    verdict, detail = cli.validate_frame(protocol, reset, role="CentralSystem")
    assert verdict == "NotSupported" and "sent by the CentralSystem" in detail


def test_validate_command_reads_stdin_and_files_and_sets_the_exit_status(tmp_path):
    frames = tmp_path / "frames.txt"
    frames.write_bytes(b'[2,"1","Heartbeat",{}]\n\n[2,"2","Authorize",{"idTag":"\xff"}]\nnope\n')
    command = [sys.executable, "-m", "ocppj_aio.cli", "validate"]
    done = subprocess.run(command + [str(frames)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "1: valid: CALL Heartbeat"
    assert lines[1].startswith("3: FormationViolation: frame is not valid UTF-8")
    assert lines[2].startswith("4: FormationViolation")
    assert lines[3] == "3 frames, 1 valid, 2 not valid"
    done = subprocess.run(
        command + ["--role", "charge-point"],
        input='[2,"1","Reset",{"type":"Hard"}]\n',
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "1: valid: CALL Reset" in done.stdout


def test_demo_answers_are_schema_valid_for_every_action():
    for action, (initiator, _) in protocol.ACTIONS.items():
        if initiator in ("ChargePoint", "Both"):
            protocol.validate_response(action, default_response("CentralSystem", action))
        if initiator in ("CentralSystem", "Both"):
            protocol.validate_response(action, default_response("ChargePoint", action))
    expected_cs = {a for a, (i, _) in protocol.ACTIONS.items() if i in ("ChargePoint", "Both")}
    expected_cp = {a for a, (i, _) in protocol.ACTIONS.items() if i in ("CentralSystem", "Both")}
    assert set(CENTRAL_SYSTEM_ANSWERS) == expected_cs
    assert set(CHARGE_POINT_ANSWERS) == expected_cp


def test_serve_tunes_the_garbage_collector_unless_told_not_to():
    parser = cli.build_parser()
    assert parser.parse_args(["serve"]).gc_tuning is True
    assert parser.parse_args(["serve", "--no-gc-tuning"]).gc_tuning is False
    thresholds = gc.get_threshold()
    try:
        cli.tune_gc()
        assert gc.get_threshold()[0] == 50000
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_serve_and_simulate_run_the_whole_scenario():
    port = free_port()
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocppj_aio.cli",
            "serve",
            "--port",
            str(port),
            "--duration",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    try:
        simulator = subprocess.run(
            [
                sys.executable,
                "-m",
                "ocppj_aio.cli",
                "simulate",
                "ws://127.0.0.1:%d/SIM%%201" % port,
                "--meter-values",
                "2",
                "--meter-interval",
                "0.05",
                "--timeout",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=environment,
        )
    finally:
        time.sleep(0.2)
        server.terminate()
        served, _ = server.communicate(timeout=30)
    assert simulator.returncode == 0, simulator.stdout + simulator.stderr
    assert "scenario done" in simulator.stdout
    assert "transaction 1 started" in simulator.stdout
    prefix = "[cp] SIM 1 -> "
    sent = [
        line[len(prefix) :].split()[0]
        for line in simulator.stdout.splitlines()
        if line.startswith(prefix)
    ]
    assert sent == [
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "Authorize",
        "StatusNotification",
        "StartTransaction",
        "StatusNotification",
        "MeterValues",
        "MeterValues",
        "StopTransaction",
        "StatusNotification",
    ]
    assert "[cs] SIM 1 connected" in served
    assert served.count("[cs] SIM 1 <- ") == 11
    assert served.count("[cs] SIM 1 -> ") == 11
    assert '"transactionId": 1' in served.split("StopTransaction ", 1)[1]


def test_serve_accepts_a_subprotocol_alias_only_when_asked():
    import asyncio

    from transport_support import open_websocket
    from websockets.exceptions import InvalidStatus

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ocppj_aio.cli", "serve", "--port", str(port)]
        + ["--accept-subprotocol", "ocpp1.6.0", "--duration", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )

    async def offer(names):
        for _ in range(100):
            try:
                websocket = await open_websocket("ws://127.0.0.1:%d/CP-1" % port, names)
            except OSError:
                await asyncio.sleep(0.1)  # not listening yet
                continue
            chosen = websocket.subprotocol
            await websocket.close()
            return chosen
        raise AssertionError("ocppj serve did not start")

    try:
        assert asyncio.run(offer(("ocpp1.6.0",))) == "ocpp1.6.0"
        assert asyncio.run(offer(("ocpp1.6",))) == "ocpp1.6"
        with pytest.raises(InvalidStatus):
            asyncio.run(offer(("ocpp1.5",)))
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert cli.build_parser().parse_args(["serve"]).accept_subprotocol == []
