"""``ocppj serve`` with security profile 1: it needs a credential source
(issue 13 item 13), and --password-file gives each charge point its own
key. The real command in a subprocess, real handshakes on 127.0.0.1."""

import asyncio

from ocppj_aio import security
from test_cli_errors import assert_one_line_error, ocppj, serve, stop
from transport_support import open_websocket
from websockets.exceptions import InvalidStatus


def test_profile_1_without_a_credential_source_refuses_to_start():
    for profile in ("1", "2"):
        line = assert_one_line_error(
            ocppj("serve", "--security-profile", profile, "--port", 0, "--duration", 5),
            2,
            "serve",
            "needs",
        )
        if profile == "1":
            assert "--password-file" in line and "--insecure-any-password" in line
    assert_one_line_error(
        ocppj(
            "serve", "--security-profile", "1", "--password", "x" * 16, "--insecure-any-password"
        ),
        2,
        "serve",
        "give one of --password and --insecure-any-password",
    )
    assert_one_line_error(
        ocppj("serve", "--password-file", "nowhere.txt"),
        2,
        "serve",
        "--password-file is for security profiles 1 and 2",
    )
    assert_one_line_error(
        ocppj("serve", "--security-profile", "1", "--password-file", "nowhere.txt"),
        2,
        "serve",
        "--password-file nowhere.txt",
    )


async def status(port, identity, password):
    headers = {"Authorization": security.basic_authorization(identity, password)}
    for _ in range(100):
        try:
            websocket = await open_websocket(
                "ws://127.0.0.1:%d/%s" % (port, identity), additional_headers=headers
            )
        except InvalidStatus as refused:
            return refused.response.status_code
        except OSError:
            await asyncio.sleep(0.1)  # not listening yet
            continue
        await websocket.close()
        return 101
    raise AssertionError("ocppj serve did not start")


def test_password_file_gives_each_charge_point_its_own_key(tmp_path):
    path = tmp_path / "keys"
    path.write_text(
        security.password_entry("CP-1", "key-of-cp-1-0123456")
        + "\n"
        + security.password_entry("CP-2", "key-of-cp-2-0123456")
        + "\n"
    )
    server, port = serve("--security-profile", "1", "--password-file", path)
    try:
        assert asyncio.run(status(port, "CP-1", "key-of-cp-1-0123456")) == 101
        assert asyncio.run(status(port, "CP-2", "key-of-cp-2-0123456")) == 101
        assert asyncio.run(status(port, "CP-1", "key-of-cp-2-0123456")) == 401
        assert asyncio.run(status(port, "CP-3", "key-of-cp-1-0123456")) == 401
    finally:
        stop(server)


def test_insecure_any_password_says_so():
    server, port = serve("--security-profile", "1", "--insecure-any-password")
    try:
        assert asyncio.run(status(port, "CP-1", "anything")) == 101
    finally:
        served = stop(server)
    assert "--insecure-any-password: any Basic auth password is accepted" in served
