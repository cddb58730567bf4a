"""Issue 13 item 13 and the Basic-auth fault of item 15: back-off after
failed authentications (the guessing probe), per-charge-point password
files, and passwords that must never pass (empty, truncated, extended)."""

import asyncio
import os

import pytest
from ocpp16 import protocol
from ocppj_aio import security
from ocppj_aio.server import CentralSystem
from ocppj_aio.throttle import AuthThrottle, FailureThrottle
from transport_support import open_websocket, recording_central_system, run
from websockets.exceptions import InvalidStatus

KEYS = {
    "CP-1": "0123456789abcdef0123",
    "CP-2": b"\x00\x01\xff" * 7,
    "RDAM 123": "s3cret-key-16-bytes",
}


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Counting:
    """An authenticator that counts the checks it was asked for."""

    def __init__(self, inner):
        self.inner = inner
        self.calls = 0

    async def __call__(self, identity, password):
        self.calls += 1
        return await self.inner(identity, password)


async def attempt(server, identity, password):
    """HTTP status of a profile 1 handshake (101 when upgraded)."""
    headers = {"Authorization": security.basic_authorization(identity, password)}
    try:
        websocket = await open_websocket(server.url(identity), additional_headers=headers)
    except InvalidStatus as refused:
        response = refused.response
        return response.status_code, response.headers, response.body.decode()
    await websocket.close()
    return 101, None, ""


def central_system(authenticator, throttle):
    return CentralSystem(
        recording_central_system(),
        protocol=protocol,
        security_profile=1,
        authenticator=authenticator,
        auth_throttle=throttle,
    )


# ------------------------------------------------------------------ FailureThrottle


def test_failure_throttle_doubles_after_the_free_failures_up_to_the_cap():
    clock = FakeClock()
    throttle = FailureThrottle(free_failures=2, base_delay=1, max_delay=8, clock=clock)
    assert [throttle.failed("k") for _ in range(7)] == [0, 0, 1, 2, 4, 8, 8]
    assert throttle.retry_after("k") == 8
    clock.now += 5
    assert throttle.retry_after("k") == 3
    throttle.succeeded("k")
    assert throttle.retry_after("k") == 0 and throttle.failures("k") == 0


def test_failure_throttle_forgets_old_failures_and_bounds_its_keys():
    clock = FakeClock()
    throttle = FailureThrottle(free_failures=0, forget_after=60, max_keys=3, clock=clock)
    throttle.failed("old")
    clock.now += 61
    assert throttle.retry_after("old") == 0 and "old" not in throttle._records
    for key in ("a", "b", "c", "d"):
        throttle.failed(key)
    assert len(throttle) == 3 and throttle.failures("a") == 0  # least recent went


# ------------------------------------------------------------------ the guessing probe


def test_guessing_probe_is_throttled_per_identity_with_429_and_retry_after():
    clock = FakeClock()
    authenticator = Counting(security.PasswordTable(KEYS))

    async def scenario():
        async with central_system(authenticator, AuthThrottle(clock=clock)) as server:
            statuses = []
            for n in range(20):
                status, headers, body = await attempt(server, "CP-1", "guess-%02d-0000000000" % n)
                statuses.append(status)
            # 3 free failures, the 4th blocks: from then on no check is made
            assert statuses[:4] == [401] * 4 and statuses[4:] == [429] * 16
            assert authenticator.calls == 4
            status, headers, body = await attempt(server, "CP-1", KEYS["CP-1"])
            assert status == 429 and headers["Retry-After"] == "1"
            assert "too many failed authentications for CP-1" in body
            # another identity from the same address is not held up yet
            assert (await attempt(server, "CP-2", KEYS["CP-2"]))[0] == 101
            clock.now += 1.0
            assert (await attempt(server, "CP-1", KEYS["CP-1"]))[0] == 101
            # a success clears the identity's record
            assert server.auth_throttle.identities.failures("CP-1") == 0

    run(scenario())


def test_guessing_many_identities_from_one_address_is_throttled_per_address():
    clock = FakeClock()
    authenticator = Counting(security.PasswordTable(KEYS))

    async def scenario():
        async with central_system(authenticator, AuthThrottle(clock=clock)) as server:
            for n in range(21):
                assert (await attempt(server, "GUESS-%d" % n, "x" * 16))[0] == 401
            status, headers, body = await attempt(server, "CP-1", KEYS["CP-1"])
            assert status == 429 and "from 127.0.0.1" in body
            assert authenticator.calls == 21
            # one valid credential does not reset the address's count
            clock.now += 1.0
            assert (await attempt(server, "CP-1", KEYS["CP-1"]))[0] == 101
            assert (await attempt(server, "GUESS-X", "x" * 16))[0] == 401
            assert (await attempt(server, "GUESS-Y", "x" * 16))[0] == 429

    run(scenario())


def test_the_throttle_can_be_turned_off():
    authenticator = Counting(security.PasswordTable(KEYS))

    async def scenario():
        async with central_system(authenticator, False) as server:
            for _ in range(10):
                assert (await attempt(server, "CP-1", "wrong-000000000000"))[0] == 401
            assert authenticator.calls == 10

    run(scenario())


# ------------------------------------------------------------------ passwords that must not pass


def near_misses(key):
    key = key.encode() if isinstance(key, str) else key
    return [b"", key[:1], key[:-1], key[1:], key + b"0", key[:-1] + bytes([key[-1] ^ 1])]


@pytest.mark.parametrize("identity", sorted(KEYS))
def test_empty_truncated_or_extended_passwords_never_pass(identity, tmp_path):
    # Planted fault (issue 13 item 15): a check accepting an empty or a
    # truncated password for any listed charge point.
    path = tmp_path / "passwords"
    path.write_text("\n".join(security.password_entry(i, k) for i, k in KEYS.items()) + "\n")
    for authenticator in (security.PasswordTable(KEYS), security.PasswordFile(str(path))):

        async def scenario(authenticator=authenticator):
            async with central_system(authenticator, False) as server:
                for password in near_misses(KEYS[identity]):
                    status, _, body = await attempt(server, identity, password)
                    assert status == 401, (password, body)
                assert (await attempt(server, identity, KEYS[identity]))[0] == 101

        run(scenario())


# ------------------------------------------------------------------ password file


def test_password_file_kinds_reload_and_errors(tmp_path):
    path = tmp_path / "passwords"
    path.write_text(
        "# identity key\n"
        "\n"
        + security.password_entry("RDAM 123", "hashed-key-0123456")
        + "\n"
        + "CP-2 hex:%s\n" % (b"\x00\x01\xff" * 7).hex()
        + "CP-3 text:plain key with spaces\n"
    )
    passwords = security.PasswordFile(str(path))

    def check(identity, password):
        return asyncio.run(passwords(identity, password))

    assert "RDAM%20123" in path.read_text()
    assert check("RDAM 123", b"hashed-key-0123456")
    assert not check("RDAM 123", b"hashed-key-012345")
    assert check("CP-2", b"\x00\x01\xff" * 7)
    assert check("CP-3", b"plain key with spaces")
    assert not check("CP-4", b"anything")

    path.write_text("CP-4 text:new-charge-point-key\n")
    os.utime(path, ns=(1, 1))  # a different stamp even within one clock tick
    assert check("CP-4", b"new-charge-point-key") and not check("CP-3", b"plain key with spaces")

    path.write_text("CP-5 md5:abc\n")
    os.utime(path, ns=(2, 2))
    assert check("CP-4", b"new-charge-point-key")  # malformed edit: old contents stay

    with pytest.raises(ValueError) as malformed:
        security.PasswordFile(str(path))
    assert "line 1" in str(malformed.value)


# ------------------------------------------------------------------ found by mutation testing


def test_common_name_binding_wants_exactly_the_identity():
    bound = security.common_name_binding()
    assert bound("CP-1", {"CN": ["CP-1"]})
    for subject in (
        {"CN": ["CP-2"]},  # sorts after the identity
        {"CN": ["CP-0"]},  # sorts before it
        {"CN": ["CP-1", "CP-2"]},
        {"CN": []},
        {},
        {"O": ["CP-1"]},
    ):
        assert not bound("CP-1", subject), subject
    operator = security.common_name_binding("Operator")
    assert operator("CP-1", {"CN": ["CP-1"], "O": ["Operator"]})
    assert not operator("CP-1", {"CN": ["CP-1"], "O": ["Other"]})
    assert not operator("CP-1", {"CN": ["CP-1"]})


def test_basic_authorization_parsing_refuses_what_is_not_well_formed():
    import base64

    def header(raw):
        return "Basic " + base64.b64encode(raw).decode()

    assert security.parse_basic_authorization(header(b"CP-1:key")) == ("CP-1", b"key")
    assert security.parse_basic_authorization(header(b"CP-1:")) == ("CP-1", b"")
    assert security.parse_basic_authorization("basic " + header(b"a:b")[6:]) == ("a", b"b")
    for value in (
        None,
        "",
        "Basic",
        "Basic ",
        "Basic    ",
        "Bearer " + header(b"a:b")[6:],
        "Basic !!!",
        header(b"no colon"),
        header(b"\xff\xfe:key"),  # a username that is not UTF-8
    ):
        assert security.parse_basic_authorization(value) is None, value
