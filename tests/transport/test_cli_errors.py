"""The ``ocppj`` command as a person meets it: errors, help, version.

Every error is one line on stderr naming the cause and what to do; exit
status 2 for usage errors, 1 for failures; ``-v`` adds the traceback
(issue 13, items 4 and 6). Each case runs the real command in a
subprocess; network cases use real sockets on 127.0.0.1.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from transport_certs import Pki
from transport_support import free_port

COMMAND = [sys.executable, "-m", "ocppj_aio.cli"]
ENVIRONMENT = dict(os.environ, PYTHONUNBUFFERED="1")


def ocppj(*arguments, timeout=60, **options):
    return subprocess.run(
        COMMAND + [str(argument) for argument in arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENVIRONMENT,
        **options,
    )


def assert_one_line_error(done, status, command, *words):
    """Exit ``status``, stderr exactly one line ``ocppj <command>: error:
    ...`` containing ``words``, no traceback anywhere."""
    output = done.stdout + done.stderr
    assert done.returncode == status, output
    assert "Traceback" not in output, output
    lines = done.stderr.splitlines()
    assert len(lines) == 1, output
    prefix = "ocppj %s: error: " % command if command else "ocppj: error: "
    assert lines[0].startswith(prefix), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp("pki")))


# ------------------------------------------------------------------ usage errors: 2


def test_no_command_and_a_bad_option_value_are_one_line_usage_errors():
    assert_one_line_error(ocppj(), 2, None, "choose a command: serve, simulate or validate")
    assert_one_line_error(
        ocppj("serve", "--port", "nine"), 2, "serve", "--port", "'nine'", "ocppj serve --help"
    )
    assert_one_line_error(ocppj("frobnicate"), 2, None, "frobnicate")


def test_validate_of_a_missing_file_names_it():
    assert_one_line_error(ocppj("validate", "nope.txt"), 2, "validate", "nope.txt: no such file")


def test_tls_options_are_checked_before_anything_starts(pki, tmp_path):
    certfile, keyfile = pki.server
    assert_one_line_error(ocppj("serve", "--security-profile", "2"), 2, "serve", "needs --certfile")
    assert_one_line_error(
        ocppj("serve", "--security-profile", "2", "--certfile", tmp_path / "cs.pem"),
        2,
        "serve",
        "--certfile %s: no such file" % (tmp_path / "cs.pem"),
    )
    assert_one_line_error(
        ocppj("serve", "--security-profile", "3", "--certfile", certfile, "--keyfile", keyfile),
        2,
        "serve",
        "security profile 3 needs --cafile",
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    assert_one_line_error(
        ocppj("serve", "--security-profile", "2", "--certfile", garbage, "--port", 0),
        2,
        "serve",
        "not a PEM certificate or key",
    )
    other_key = pki.client("CP-9")[1]
    assert_one_line_error(
        ocppj("serve", "--security-profile", "2", "--certfile", certfile, "--keyfile", other_key),
        2,
        "serve",
        "the key does not belong to the certificate",
    )
    assert_one_line_error(
        ocppj("serve", "--certfile", certfile), 2, "serve", "--certfile is for security profiles"
    )
    assert_one_line_error(
        ocppj("simulate", "wss://127.0.0.1:9/CP-1", "--cafile", tmp_path / "ca.pem"),
        2,
        "simulate",
        "--cafile %s: no such file" % (tmp_path / "ca.pem"),
    )


def test_simulate_needs_an_identity_and_a_websocket_url():
    assert_one_line_error(
        ocppj("simulate", "ws://127.0.0.1:9000"),
        2,
        "simulate",
        "names no charge point identity",
        "ws://127.0.0.1:9000/CP-1",
        "--id",
    )
    assert_one_line_error(
        ocppj("simulate", "http://127.0.0.1:9000/CP-1"), 2, "simulate", "not a WebSocket URL"
    )
    assert_one_line_error(
        ocppj("simulate", "ws://127.0.0.1:9000/CP-1", "--security-profile", "2", "--password", "x"),
        2,
        "simulate",
        "security profile 2 needs a wss:// URL",
    )
    assert_one_line_error(
        ocppj("simulate", "wss://127.0.0.1:9000/CP-1", "--security-profile", "3"),
        2,
        "simulate",
        "security profile 3 needs --certfile",
    )
    assert_one_line_error(
        ocppj("simulate", "ws://127.0.0.1:9000/CP-1", "--security-profile", "1"),
        2,
        "simulate",
        "security profile 1 needs --password",
    )


# ------------------------------------------------------------------ failures: 1


def test_a_port_in_use_is_one_line_naming_the_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = ocppj("serve", "--port", port)
    assert_one_line_error(
        done, 1, "serve", "port %d on 127.0.0.1 is already in use" % port, "another --port"
    )


def test_verbose_adds_the_traceback():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = ocppj("-v", "serve", "--port", taken.getsockname()[1])
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "Errno 98" in done.stderr or "address already in use" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("ocppj serve: error: port ")


def test_simulate_with_nothing_listening_says_so_and_gives_up():
    port = free_port()
    done = ocppj("simulate", "ws://127.0.0.1:%d/CP-1" % port, "--max-reconnects", "1", "--quiet")
    line = assert_one_line_error(
        done, 1, "simulate", "gave up connecting: 2 connection attempts failed"
    )
    assert "nothing listens at 127.0.0.1:%d" % port in line
    assert done.stdout.count("connecting failed: nothing listens") == 2


def serve(*arguments):
    """``ocppj serve`` on a free port: (process, port)."""
    port = free_port()
    process = subprocess.Popen(
        COMMAND + ["serve", "--port", str(port), "--duration", "60"] + [str(a) for a in arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENVIRONMENT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("ocppj serve did not start: %s" % process.communicate()[0])


def stop(process):
    process.terminate()
    return process.communicate(timeout=30)[0]


def test_a_wrong_password_stops_at_the_first_refusal_and_both_sides_say_why():
    server, port = serve("--security-profile", "1", "--password", "right-password-0123")
    try:
        done = ocppj("simulate", "ws://127.0.0.1:%d/CP-1" % port, "--password", "wrong")
    finally:
        served = stop(server)
    line = assert_one_line_error(done, 1, "simulate", "HTTP 401", "wrong password for CP-1")
    assert "check the password" in line
    assert done.stdout.count("connecting failed") == 1  # no retrying a refusal
    # the central system logs the refusal with its reason at INFO
    assert "INFO ocppj.server: refused /CP-1" in served
    assert "401 wrong password for CP-1" in served


def test_wss_against_a_plain_port_names_tls(pki):
    server, port = serve()
    try:
        done = ocppj(
            "simulate", "wss://127.0.0.1:%d/CP-1" % port, "--cafile", pki.ca, "--max-reconnects", 0
        )
    finally:
        stop(server)
    line = assert_one_line_error(done, 1, "simulate", "TLS")
    assert "use ws://" in line


def test_a_refused_client_certificate_is_named_by_the_client(pki):
    certfile, keyfile = pki.server
    server, port = serve(
        "--security-profile", "3", "--certfile", certfile, "--keyfile", keyfile, "--cafile", pki.ca
    )
    stranger_cert, stranger_key = pki.stranger
    try:
        done = ocppj(
            "simulate",
            "wss://127.0.0.1:%d/CP-1" % port,
            "--cafile",
            pki.ca,
            "--certfile",
            stranger_cert,
            "--keyfile",
            stranger_key,
            "--max-reconnects",
            0,
        )
    finally:
        stop(server)
    assert_one_line_error(done, 1, "simulate", "refused our TLS client certificate")


def test_ctrl_c_in_validate_exits_130_without_a_traceback():
    process = subprocess.Popen(
        COMMAND + ["validate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENVIRONMENT,
    )
    process.stdin.write('[2,"1","Heartbeat",{}]\n')
    process.stdin.flush()
    time.sleep(1.0)  # let it start and block reading stdin
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert err.splitlines() == ["ocppj validate: interrupted"]


# ------------------------------------------------------------------ help and version


def test_version():
    done = ocppj("--version")
    assert done.returncode == 0
    from importlib.metadata import version

    assert done.stdout.strip() == "ocppj (ocpp16-toolkit) %s" % version("ocpp16-toolkit")


def test_every_option_has_help_and_shows_its_default():
    from ocppj_aio import cli

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, command in commands.items():
        text = command.format_help()
        for action in command._actions:
            if action.dest == "help":
                continue
            assert action.help, "ocppj %s %s has no help text" % (name, action.dest)
            default = action.default
            if default is not None and default is not False and default != []:
                assert "(default: %s)" % default in " ".join(text.split()), (name, action.dest)
    assert "(default: 9000)" in commands["serve"].format_help()
    assert "(default: 0)" in " ".join(commands["serve"].format_help().split())
