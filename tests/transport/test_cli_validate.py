"""``ocppj validate`` as a command, one behaviour per test (issue 13 item
15: exit status, --role and line numbers rested on one test): the real
command in a subprocess."""

import subprocess
import sys

import pytest

COMMAND = [sys.executable, "-m", "ocppj_aio.cli", "validate"]
HEARTBEAT = '[2,"1","Heartbeat",{}]'
RESET = '[2,"2","Reset",{"type":"Hard"}]'


def validate(*arguments, input=None):
    return subprocess.run(
        COMMAND + [str(a) for a in arguments],
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "frames, status",
    [
        ([HEARTBEAT], 0),
        ([HEARTBEAT, RESET], 0),  # no role: either direction is fine
        ([HEARTBEAT, '[2,"3","Heartbeat",[]]'], 1),
        (["nope"], 1),
        (['[3,"9",{}]'], 0),  # an answer without its CALL: payload not checked
    ],
)
def test_the_exit_status_is_1_exactly_when_a_frame_is_not_valid(frames, status):
    done = validate(input="\n".join(frames) + "\n")
    assert done.returncode == status, done.stdout + done.stderr
    bad = sum(1 for line in done.stdout.splitlines()[:-1] if ": valid: " not in line)
    assert done.stdout.splitlines()[-1] == "%d frames, %d valid, %d not valid" % (
        len(frames),
        len(frames) - bad,
        bad,
    )


@pytest.mark.parametrize(
    "role, heartbeat, reset",
    [
        ("any", "valid", "valid"),
        ("central-system", "valid", "NotSupported"),
        ("charge-point", "NotSupported", "valid"),
    ],
)
def test_role_decides_which_direction_is_supported(role, heartbeat, reset):
    done = validate("--role", role, input=HEARTBEAT + "\n" + RESET + "\n")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1: %s" % heartbeat), lines
    assert lines[1].startswith("2: %s" % reset), lines
    assert done.returncode == (0 if heartbeat == reset == "valid" else 1)


def test_an_unknown_role_is_a_usage_error():
    done = validate("--role", "gateway", input=HEARTBEAT + "\n")
    assert done.returncode == 2 and "--role" in done.stderr


def test_line_numbers_count_blank_lines_and_crlf_lines_of_the_file(tmp_path):
    path = tmp_path / "frames.txt"
    path.write_bytes(
        b"\r\n".join(
            [
                HEARTBEAT.encode(),
                b"",
                b"   ",
                b'[2,"4","Heartbeat",{}]',
                b"",
                b"nope",
            ]
        )
        + b"\r\n"
    )
    done = validate(path)
    lines = done.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines[:-1]] == ["1", "4", "6"]
    assert lines[2].startswith("6: FormationViolation")
    assert lines[-1] == "3 frames, 2 valid, 1 not valid"
    assert done.returncode == 1
