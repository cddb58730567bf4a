"""Central system handshake: subprotocol, identity, HTTP Basic, refusals."""

import asyncio
import base64

import pytest
from ocpp16 import protocol
from ocppj.errors import UsageError
from ocppj_aio import security
from ocppj_aio.server import CentralSystem, identity_from_path
from transport_support import open_websocket, recording_central_system, run
from websockets.exceptions import ConnectionClosed, InvalidStatus


def central_system(**options):
    options.setdefault("protocol", protocol)
    factory = options.pop("factory", None) or recording_central_system()
    return CentralSystem(factory, **options)


async def refusal(url, **kwargs):
    with pytest.raises(InvalidStatus) as caught:
        websocket = await open_websocket(url, **kwargs)
        await websocket.close()
    response = caught.value.response
    return response.status_code, response.body.decode("utf-8"), response.headers


# ------------------------------------------------------------------ subprotocol


def test_no_subprotocol_offered_is_refused_before_the_upgrade():
    async def scenario():
        async with central_system() as server:
            status, body, _ = await refusal(server.url("CP-1"), subprotocols=None)
            assert status == 400
            assert "no Sec-WebSocket-Protocol offered" in body and "ocpp1.6" in body
            assert server.charge_points == {}

    run(scenario())


def test_only_unsupported_subprotocols_are_refused_naming_them():
    async def scenario():
        async with central_system() as server:
            status, body, _ = await refusal(
                server.url("CP-1"), subprotocols=("ocpp1.5", "ocpp2.0.1")
            )
            assert status == 400
            assert "ocpp1.5, ocpp2.0.1" in body and "speaks ocpp1.6" in body

    run(scenario())


def test_ocpp16_is_selected_among_several_offers():
    async def scenario():
        async with central_system() as server:
            websocket = await open_websocket(
                server.url("CP-1"), subprotocols=("ocpp2.0.1", "ocpp1.6")
            )
            assert websocket.subprotocol == "ocpp1.6"
            await websocket.close()

    run(scenario())


def test_spec_literal_mismatch_mode_upgrades_without_subprotocol_then_closes():
    # OCPP-J 1.6 section 3.2: answer without Sec-WebSocket-Protocol, then close.
    async def scenario():
        async with central_system(subprotocol_mismatch="close") as server:
            websocket = await open_websocket(server.url("CP-1"), subprotocols=("ocpp1.5",))
            assert websocket.subprotocol is None
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(websocket.recv(), 5)
            assert websocket.close_code == 1002
            assert "ocpp1.6" in websocket.close_reason
            assert server.charge_points == {}

    run(scenario())


# ------------------------------------------------------------------ identity


@pytest.mark.parametrize(
    "path, identity",
    [
        ("/ocpp/CP001", "CP001"),
        ("/ocppj/RDAM%20123", "RDAM 123"),  # OCPP-J 1.6 3.1.1 example 2
        ("/CP%257", "CP%7"),  # an encoded % is fine; %2F is refused
        ("/a/b/c/%C3%A9t%C3%A9", "\u00e9t\u00e9"),
        ("/ocpp/CP-9?token=x", "CP-9"),
    ],
)
def test_identity_is_the_percent_decoded_last_path_segment(path, identity):
    assert identity_from_path(path) == identity


@pytest.mark.parametrize(
    "path, error",
    [
        ("/ocpp/", LookupError),
        ("/", LookupError),
        ("/ocpp/%FF%FE", ValueError),
        ("/" + "x" * 256, ValueError),
    ],
)
def test_paths_without_a_usable_identity(path, error):
    with pytest.raises(error):
        identity_from_path(path)


def test_path_prefix_is_enforced():
    assert identity_from_path("/ocpp/16/CP-1", "/ocpp/16") == "CP-1"
    for path in ("/other/CP-1", "/ocpp/16/x/CP-1", "/ocpp/16/"):
        with pytest.raises(LookupError):
            identity_from_path(path, "ocpp/16")


def test_identity_over_a_real_connection_and_refusals_by_path():
    async def scenario():
        factory = recording_central_system()
        seen = []
        async with central_system(
            factory=factory,
            path_prefix="/ocpp",
            on_connect=lambda cp, link: seen.append((cp.id, link.identity)),
        ) as server:
            websocket = await open_websocket(server.url("RDAM 123"))
            assert "/ocpp/RDAM%20123" in server.url("RDAM 123")
            await asyncio.sleep(0.05)
            assert seen == [("RDAM 123", "RDAM 123")]
            assert list(server.charge_points) == ["RDAM 123"]
            await websocket.close()

            base = "ws://127.0.0.1:%d" % server.port
            status, body, _ = await refusal(base + "/elsewhere/CP-1")
            assert status == 404 and "/ocpp/<charge point identity>" in body
            status, body, _ = await refusal(base + "/ocpp/%FF")
            assert status == 400 and "not UTF-8" in body
            status, _, _ = await refusal(base + "/ocpp/")
            assert status == 404

    run(scenario())


def test_unknown_charge_point_is_404():
    async def scenario():
        async def known(identity):
            return identity.startswith("KNOWN-")

        async with central_system(identity_check=known) as server:
            status, body, _ = await refusal(server.url("STRANGER"))
            assert status == 404 and "unknown charge point STRANGER" in body
            websocket = await open_websocket(server.url("KNOWN-1"))
            await websocket.close()

    run(scenario())


# ------------------------------------------------------------------ Basic auth


def authorization(username, password):
    return {"Authorization": security.basic_authorization(username, password)}


def test_profile_1_accepts_the_right_password_and_refuses_others():
    async def scenario():
        table = security.PasswordTable(
            {"CP-1": "0123456789abcdef0123", "CP-2": b"\x00\x01\xff" * 7}
        )
        async with central_system(security_profile=1, authenticator=table) as server:
            url = server.url("CP-1")
            websocket = await open_websocket(
                url, additional_headers=authorization("CP-1", "0123456789abcdef0123")
            )
            assert server.link("CP-1").security_profile == 1
            await websocket.close()

            # binary AuthorizationKey (OCPP-J 6.2.2: 20 raw bytes)
            websocket = await open_websocket(
                server.url("CP-2"),
                additional_headers=authorization("CP-2", b"\x00\x01\xff" * 7),
            )
            await websocket.close()

            status, body, headers = await refusal(url)
            assert status == 401 and "Basic credentials required" in body
            assert headers["WWW-Authenticate"].startswith("Basic realm=")

            status, body, headers = await refusal(
                url, additional_headers=authorization("CP-1", "wrong-password-000000")
            )
            assert status == 401 and "wrong password for CP-1" in body
            assert "WWW-Authenticate" in headers

            # username must be the identity of the URL (A00.FR.204)
            status, body, _ = await refusal(
                url, additional_headers=authorization("CP-2", b"\x00\x01\xff" * 7)
            )
            assert status == 401 and "username must be the charge point identity" in body

            status, _, _ = await refusal(url, additional_headers={"Authorization": "Basic !!!"})
            assert status == 401
            status, _, _ = await refusal(
                url,
                additional_headers={"Authorization": "Basic " + base64.b64encode(b"CP-1").decode()},
            )
            assert status == 401
            assert server.charge_points == {}

    run(scenario())


def test_a_crashing_authenticator_answers_500_not_an_upgrade():
    async def scenario():
        async def broken(identity, password):
            raise RuntimeError("database down")

        async with central_system(security_profile=1, authenticator=broken) as server:
            status, body, _ = await refusal(
                server.url("CP-1"), additional_headers=authorization("CP-1", "x" * 16)
            )
            assert status == 500 and "database" not in body

    run(scenario())


def test_configuration_mistakes_are_usage_errors():
    with pytest.raises(UsageError):
        CentralSystem(protocol=protocol, security_profile=2, authenticator=lambda i, p: True)
    with pytest.raises(UsageError):
        CentralSystem(protocol=protocol, security_profile=1)
    with pytest.raises(UsageError):
        CentralSystem(protocol=protocol, on_duplicate="ignore")
    with pytest.raises(ValueError):
        CentralSystem(protocol=protocol, security_profile=4)
    with pytest.raises(UsageError):
        CentralSystem(protocol=protocol, idle_timeout=-1)


def test_connections_beyond_max_connections_get_503():
    async def scenario():
        async with central_system(max_connections=1) as server:
            first = await open_websocket(server.url("CP-1"))
            status, body, _ = await refusal(server.url("CP-2"))
            assert status == 503 and "1 charge points are connected" in body
            # The same identity may still replace its own connection.
            second = await open_websocket(server.url("CP-1"))
            await second.close()
            await first.close()

    run(scenario())


def test_two_authorization_headers_get_401_not_500():
    async def scenario():
        table = security.PasswordTable({"CP-1": "0123456789abcdef0123"})
        async with central_system(security_profile=1, authenticator=table) as server:
            good = security.basic_authorization("CP-1", "0123456789abcdef0123")
            status, body, headers = await refusal(
                server.url("CP-1"),
                additional_headers=[("Authorization", good), ("Authorization", good)],
            )
            assert status == 401 and "2 Authorization headers" in body
            assert headers["WWW-Authenticate"].startswith("Basic realm=")
            assert server.charge_points == {}

    run(scenario())


def test_the_quecpython_ports_spelling_is_refused_unless_accepted_as_an_alias():
    # The port's examples offer "ocpp1.6.0", which OCPP-J does not define.
    async def scenario():
        async with central_system() as server:
            status, body, _ = await refusal(server.url("CP-1"), subprotocols=("ocpp1.6.0",))
            assert status == 400 and "ocpp1.6.0" in body
        async with central_system(subprotocols=("ocpp1.6", "ocpp1.6.0")) as server:
            websocket = await open_websocket(server.url("CP-1"), subprotocols=("ocpp1.6.0",))
            assert websocket.subprotocol == "ocpp1.6.0"
            await websocket.close()
            websocket = await open_websocket(server.url("CP-2"), subprotocols=("ocpp1.6",))
            assert websocket.subprotocol == "ocpp1.6"
            await websocket.close()

    run(scenario())
