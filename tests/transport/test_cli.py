"""The ``ocppj`` command: validate verdicts, serve + simulate end to end."""

import asyncio
import gc
import json
import os
import subprocess
import sys
import time

import pytest
from ocpp16 import call, protocol
from ocppj.errors import NotSupportedError
from ocppj_aio import cli
from ocppj_aio.demo import (
    CENTRAL_SYSTEM_ANSWERS,
    CHARGE_POINT_ANSWERS,
    default_response,
)
from ocppj_aio.server import CentralSystem
from transport_support import (
    free_port,
    open_websocket,
    recording_central_system,
    run,
    wait_for,
)

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


# ------------------------------------------------------------------ issue 13


def test_validate_shows_the_bad_value_and_names_a_byte_order_mark(tmp_path):
    verdict, detail = cli.validate_frame(
        protocol,
        '[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Acepted"}]',
    )
    assert verdict == "PropertyConstraintViolation"
    assert detail.endswith(
        "status violates enum: 'Acepted' is not one of Available, Preparing, Charging,"
        " SuspendedEVSE, SuspendedEV, Finishing, Reserved, Unavailable, Faulted"
    )
    verdict, detail = cli.validate_frame(
        protocol, '[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":5}]'
    )
    assert detail.endswith("chargePointModel violates type string (the value: 5)")
    calls = {}
    cli.validate_frame(protocol, '[2,"g","GetConfiguration",{}]', calls=calls)
    verdict, detail = cli.validate_frame(
        protocol, '[3,"g",{"configurationKey":[{"key":"K","readonly":"yes"}]}]', calls=calls
    )
    assert "configurationKey[0].readonly violates type boolean (the value: 'yes')" in detail

    frames = tmp_path / "bom.txt"
    frames.write_bytes(b'\xef\xbb\xbf[2,"1","Heartbeat",{}]\n[2,"2","Heartbeat",{}]\n')
    done = subprocess.run(
        [sys.executable, "-m", "ocppj_aio.cli", "validate", str(frames)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[:2] == [
        "1: FormationViolation: frame starts with a UTF-8 byte order mark (BOM, U+FEFF), which"
        " is not JSON text: save the file as UTF-8 without BOM",
        "2: valid: CALL Heartbeat",
    ]


def run_serve_and_simulate(*serve_options):
    """``ocppj serve`` and ``ocppj simulate`` against it: (served, simulated)."""
    port = free_port()
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "ocppj_aio.cli", "serve", "--port", str(port), "--duration", "30"]
        + list(serve_options),
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
                "ws://127.0.0.1:%d/CP-Q" % port,
                "--meter-values",
                "1",
                "--meter-interval",
                "0",
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
    return served, simulator.stdout


def test_serve_prints_frames_unless_quiet():
    served, _ = run_serve_and_simulate()
    assert served.count("[cs] CP-Q <- ") == 10
    served, _ = run_serve_and_simulate("--quiet")
    assert "[cs] CP-Q connected from 127.0.0.1" in served
    assert "[cs] CP-Q disconnected (1000" in served
    assert " <- " not in served and " -> " not in served


WEIRD_IDS = ('[2,["x"],"Heartbeat",{}]', '[2,{"a":1},"Heartbeat",{}]', '[3,["x"],{}]')


def test_serve_frame_printer_survives_a_unique_id_that_is_a_list_or_object():
    # issue 13 item 8: the printer raised TypeError (unhashable) and the
    # session died, closed with 1000.
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ocppj_aio.cli", "serve", "--port", str(port), "--duration", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )

    async def talk():
        for _ in range(200):
            try:
                websocket = await open_websocket("ws://127.0.0.1:%d/CP-W" % port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        answers = []
        for frame in WEIRD_IDS + ('[2,"ok","Heartbeat",{}]',):
            await websocket.send(frame)
            if not frame.startswith("[3"):  # a CALLRESULT is never answered
                answers.append(json.loads(await asyncio.wait_for(websocket.recv(), 10)))
        await websocket.close()
        return answers

    try:
        answers = run(talk())
    finally:
        server.terminate()
        served, _ = server.communicate(timeout=30)
    assert answers[0] == [4, "-1", "FormationViolation", "unique id is not a string", {}]
    assert answers[1] == answers[0]
    assert answers[2][:2] == [3, "ok"]  # the session lives on
    assert '[cs] CP-W <- ?                                [2, ["x"], "Heartbeat", {}]' in served
    assert "Traceback" not in served and "TypeError" not in served
    assert "[cs] CP-W disconnected (1000" in served


async def _simulate(url, *options, answers_done=None):
    """Start ``ocppj simulate``: (process, lines), lines filled as printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocppj_aio.cli",
        "simulate",
        url,
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    lines = []

    async def read():
        async for line in process.stdout:
            lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    process.reader = asyncio.ensure_future(read())
    return process, lines


async def _finish(process, stop=False):
    if stop:
        process.terminate()
    await asyncio.wait_for(process.wait(), 30)
    await process.reader
    return process.returncode


def test_simulate_frame_printer_survives_a_unique_id_that_is_a_list_or_object():
    async def scenario():
        factory = recording_central_system()
        async with CentralSystem(factory, protocol=protocol) as server:
            process, lines = await _simulate(server.url("CP-W"), "--stay", "--meter-values", "0")
            try:
                await wait_for(lambda: any("scenario done" in line for line in lines), 30)
                websocket = server.link("CP-W").websocket
                for frame in WEIRD_IDS:
                    await websocket.send(frame)
                reset = await server.call("CP-W", call.Reset(type="Soft"), suppress=False)
                assert reset.status == "Accepted"  # the session lives on
            finally:
                status = await _finish(process, stop=True)
        output = "\n".join(lines)
        assert "[cp] CP-W <- ?" in output and '[2, ["x"], "Heartbeat", {}]' in output
        assert "Traceback" not in output and "TypeError" not in output, output
        assert status != 0  # terminated while staying

    run(scenario(), timeout=60)


def test_simulate_acts_on_trigger_message_get_diagnostics_and_update_firmware():
    # issue 13 item 9: TriggerMessage was Accepted and nothing was sent;
    # GetDiagnostics and UpdateFirmware were followed by no notification.
    async def scenario():
        factory = recording_central_system()
        async with CentralSystem(factory, protocol=protocol) as server:
            process, lines = await _simulate(
                server.url("CP-T"), "--stay", "--meter-values", "0", "--quiet"
            )
            try:
                await wait_for(lambda: any("scenario done" in line for line in lines), 30)

                def sent(action):
                    return [fields for who, name, fields in factory.received if name == action]

                for requested in (
                    "BootNotification",
                    "DiagnosticsStatusNotification",
                    "FirmwareStatusNotification",
                    "Heartbeat",
                    "MeterValues",
                    "StatusNotification",
                ):
                    before = len(sent(requested))
                    answer = await server.call(
                        "CP-T",
                        call.TriggerMessage(requested_message=requested, connector_id=1),
                        suppress=False,
                    )
                    assert answer.status == "Accepted"
                    await wait_for(lambda r=requested, b=before: len(sent(r)) == b + 1, 10)
                assert sent("DiagnosticsStatusNotification")[-1]["status"] == "Idle"
                assert sent("MeterValues")[-1]["meter_value"][0].sampled_value[0].context == (
                    "Trigger"
                )
                answer = await server.call(
                    "CP-T",
                    call.TriggerMessage(requested_message="Heartbeat", connector_id=2),
                    suppress=False,
                )
                assert answer.status == "Rejected"  # no connector 2

                answer = await server.call(
                    "CP-T",
                    call.GetDiagnostics(location="ftp://diagnostics.example/upload"),
                    suppress=False,
                )
                assert answer.file_name.startswith("diagnostics-CP-T-")
                await wait_for(lambda: len(sent("DiagnosticsStatusNotification")) == 3, 10)
                assert [f["status"] for f in sent("DiagnosticsStatusNotification")[1:]] == [
                    "Uploading",
                    "Uploaded",
                ]

                await server.call(
                    "CP-T",
                    call.UpdateFirmware(
                        location="https://firmware.example/v2.bin",
                        retrieve_date="2020-01-01T00:00:00Z",
                    ),
                    suppress=False,
                )
                await wait_for(lambda: len(sent("FirmwareStatusNotification")) == 5, 10)
                assert [f["status"] for f in sent("FirmwareStatusNotification")[1:]] == [
                    "Downloading",
                    "Downloaded",
                    "Installing",
                    "Installed",
                ]
            finally:
                await _finish(process, stop=True)

    run(scenario(), timeout=90)


def test_simulate_reports_a_callerror_answering_its_heartbeat():
    async def scenario():
        factory = recording_central_system(
            answers={"Heartbeat": [NotSupportedError("no heartbeats here")]}
        )
        async with CentralSystem(factory, protocol=protocol) as server:
            process, lines = await _simulate(server.url("CP-H"), "--meter-values", "0", "--quiet")
            status = await _finish(process)
        return status, lines

    status, lines = run(scenario(), timeout=60)
    assert "[cp] CP-H: Heartbeat answered with CALLERROR NotSupported: no heartbeats here" in lines
    assert "[cp] scenario done; 1 CALL answered with a CALLERROR" in lines
    assert status == 1
