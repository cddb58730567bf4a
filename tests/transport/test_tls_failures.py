"""Issue 13 item 13: a failed client certificate check (security profile
3) is logged by the central system with the reason; before, asyncio
dropped the connection without a word."""

import asyncio
import logging
import ssl

import pytest
from ocpp16 import protocol
from ocppj_aio import security
from ocppj_aio.server import CentralSystem
from transport_certs import Pki
from transport_support import open_websocket, recording_central_system, run, wait_for
from websockets.exceptions import WebSocketException


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp("pki")))


def refusals(caplog):
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "ocppj.server" and "TLS handshake refused" in record.getMessage()
    ]


@pytest.mark.parametrize("own_context", [False, True], ids=["server_ssl_context", "own context"])
def test_a_wrong_or_missing_client_certificate_is_logged_with_the_reason(pki, caplog, own_context):
    certfile, keyfile = pki.server
    if own_context:  # a context the application made itself gets the logging too
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        context.load_verify_locations(pki.ca)
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context = security.server_ssl_context(
            certfile, keyfile, cafile=pki.ca, require_client_certificate=True
        )

    async def attempt(server, client_context):
        with pytest.raises((OSError, WebSocketException, asyncio.TimeoutError)):
            websocket = await open_websocket(server.url("CP-1"), ssl=client_context)
            await asyncio.wait_for(websocket.recv(), 2)

    async def scenario():
        server = CentralSystem(
            recording_central_system(),
            protocol=protocol,
            security_profile=3,
            ssl_context=context,
        )
        async with server:
            stranger_cert, stranger_key = pki.stranger
            await attempt(
                server,
                security.client_ssl_context(
                    cafile=pki.ca, certfile=stranger_cert, keyfile=stranger_key
                ),
            )
            await wait_for(lambda: len(refusals(caplog)) == 1)
            await attempt(server, security.client_ssl_context(cafile=pki.ca))
            await wait_for(lambda: len(refusals(caplog)) == 2)

    with caplog.at_level(logging.WARNING, logger="ocppj.server"):
        run(scenario())
    stranger, missing = refusals(caplog)
    assert "the client certificate failed verification" in stranger
    assert "issuer" in stranger  # unable to get local issuer certificate
    assert "the client sent no certificate" in missing
