"""Security profiles 2 (TLS + Basic) and 3 (mutual TLS bound to the
identity) over real TLS connections on 127.0.0.1."""

import asyncio
import ssl

import pytest
from ocpp16 import call, protocol
from ocppj_aio import security
from ocppj_aio.client import ChargePointClient
from ocppj_aio.server import CentralSystem
from transport_certs import Pki
from transport_support import (
    boot_request,
    open_websocket,
    recording_central_system,
    run,
    wait_for,
)
from websockets.exceptions import InvalidMessage, InvalidStatus


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp("pki")))


def server_context(pki, profile):
    certfile, keyfile = pki.server
    return security.server_ssl_context(
        certfile, keyfile, cafile=pki.ca, require_client_certificate=profile == 3
    )


def test_profile_2_tls_with_basic_auth(pki):
    async def scenario():
        passwords = security.PasswordTable({"CP-1": "tls-password-0123456"})
        server = CentralSystem(
            recording_central_system(),
            protocol=protocol,
            security_profile=2,
            ssl_context=server_context(pki, 2),
            authenticator=passwords,
        )
        async with server:
            url = server.url("CP-1")
            assert url.startswith("wss://127.0.0.1:")
            client_context = security.client_ssl_context(cafile=pki.ca)
            assert client_context.minimum_version == ssl.TLSVersion.TLSv1_2
            client = ChargePointClient(
                url,
                protocol=protocol,
                boot_notification=boot_request(),
                security_profile=2,
                password="tls-password-0123456",
                ssl_context=client_context,
            )
            async with client:
                await client.wait_accepted(5)
                link = server.link("CP-1")
                ssl_object = link.websocket.transport.get_extra_info("ssl_object")
                assert ssl_object.version() in ("TLSv1.2", "TLSv1.3")
                response = await server.call("CP-1", call.ClearCache())
                assert response is None  # default ChargePoint: NotSupported, suppressed

            with pytest.raises(InvalidStatus) as caught:
                await open_websocket(
                    url,
                    ssl=client_context,
                    additional_headers={
                        "Authorization": security.basic_authorization("CP-1", "wrong")
                    },
                )
            assert caught.value.response.status_code == 401

            # A client that does not trust the CA never gets to HTTP.
            with pytest.raises(ssl.SSLError):
                await open_websocket(url, ssl=security.client_ssl_context())

            # Plain ws:// to a TLS port fails too (no downgrade).
            # A TLS server cannot read a plain HTTP upgrade: no HTTP response comes back.
            with pytest.raises(InvalidMessage, match="valid HTTP response"):
                await open_websocket(url.replace("wss://", "ws://"))
            assert server.charge_points == {}

    run(scenario())


def test_profile_3_binds_the_client_certificate_to_the_identity(pki):
    async def scenario():
        server = CentralSystem(
            recording_central_system(),
            protocol=protocol,
            security_profile=3,
            ssl_context=server_context(pki, 3),
            certificate_binding=security.common_name_binding("Demo Charge Point Operator"),
        )
        async with server:
            certfile, keyfile = pki.client("CP-1")
            context = security.client_ssl_context(cafile=pki.ca, certfile=certfile, keyfile=keyfile)
            client = ChargePointClient(
                server.url("CP-1"),
                protocol=protocol,
                boot_notification=boot_request(),
                ssl_context=context,
            )
            assert client.security_profile == 3
            async with client:
                await client.wait_accepted(5)
                link = server.link("CP-1")
                subject = security.certificate_subject(link.peer_certificate)
                assert subject["CN"] == ["CP-1"]

            # CP-1's certificate used for the identity CP-2: 403.
            with pytest.raises(InvalidStatus) as caught:
                await open_websocket(server.url("CP-2"), ssl=context)
            assert caught.value.response.status_code == 403
            assert b"does not belong to charge point CP-2" in caught.value.response.body

            # Right CN, wrong organisation (A00.FR.404): 403.
            certfile, keyfile = pki.client("CP-3", organization="Someone Else")
            other = security.client_ssl_context(cafile=pki.ca, certfile=certfile, keyfile=keyfile)
            with pytest.raises(InvalidStatus) as caught:
                await open_websocket(server.url("CP-3"), ssl=other)
            assert caught.value.response.status_code == 403

            # A certificate from an untrusted CA, or none, fails the TLS handshake.
            certfile, keyfile = pki.stranger
            stranger = security.client_ssl_context(
                cafile=pki.ca, certfile=certfile, keyfile=keyfile
            )
            for context in (stranger, security.client_ssl_context(cafile=pki.ca)):
                with pytest.raises(Exception) as caught:
                    websocket = await open_websocket(server.url("CP-1"), ssl=context)
                    await asyncio.wait_for(websocket.recv(), 2)
                assert not isinstance(caught.value, InvalidStatus)
            await wait_for(lambda: server.charge_points == {})

    run(scenario())


def test_client_refuses_profile_and_scheme_mismatches(pki):
    from ocppj.errors import UsageError

    boot = boot_request()
    with pytest.raises(UsageError):
        ChargePointClient(
            "ws://127.0.0.1:1/CP",
            protocol=protocol,
            boot_notification=boot,
            security_profile=2,
            password="x",
        )
    with pytest.raises(UsageError):
        ChargePointClient(
            "wss://127.0.0.1:1/CP",
            protocol=protocol,
            boot_notification=boot,
            security_profile=1,
            password="x",
        )
    with pytest.raises(UsageError):
        ChargePointClient(
            "ws://127.0.0.1:1/CP",
            protocol=protocol,
            boot_notification=boot,
            security_profile=1,
        )
    with pytest.raises(UsageError):
        ChargePointClient(
            "wss://127.0.0.1:1/CP",
            protocol=protocol,
            boot_notification=boot,
            security_profile=3,
        )
    with pytest.raises(UsageError):
        ChargePointClient("http://127.0.0.1:1/CP", protocol=protocol, boot_notification=boot)
