"""Charge point identities: what the central system refuses, how ids are
printed, and the log-injection probe of issue 13 item 12."""

import logging

import pytest
from ocpp16 import protocol
from ocppj.errors import UsageError
from ocppj_aio.client import ChargePointClient
from ocppj_aio.identity import check_identity, printable
from ocppj_aio.server import CentralSystem, identity_from_path
from transport_support import boot_request, open_websocket, recording_central_system, run
from websockets.exceptions import InvalidStatus


@pytest.mark.parametrize(
    "segment, reason",
    [
        ("CP%0A%5Bcs%5D%20CP-ADMIN%20connected", "control character (U+000A)"),
        ("CP%1B%5B2J", "control character (U+001B)"),
        ("CP%7F", "control character (U+007F)"),
        ("CP%C2%85", "control character (U+0085)"),  # C1 NEL
        ("CP%E2%80%AE1-PC", "format character (U+202E)"),  # right-to-left override
        ("CP%E2%80%8B1", "format character (U+200B)"),  # zero-width space
        ("CP%E2%80%A8x", "line separator (U+2028)"),
        ("CP%2F7", "'/'"),
        ("CP%2f7", "'/'"),
        ("CP%zz", "does not start a %XX escape"),
        ("CP%4", "does not start a %XX escape"),
        ("100%", "does not start a %XX escape"),
    ],
)
def test_identities_that_forge_logs_or_do_not_round_trip_are_refused(segment, reason):
    with pytest.raises(ValueError) as refused:
        identity_from_path("/ocpp/" + segment)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "segment, identity",
    [
        ("RDAM%20123", "RDAM 123"),
        ("%C3%A9t%C3%A9-1", "\u00e9t\u00e9-1"),
        ("CP%257", "CP%7"),
        ("a*b-c_d=e:f+g|h@i.j", "a*b-c_d=e:f+g|h@i.j"),
    ],
)
def test_ordinary_identities_pass(segment, identity):
    assert identity_from_path("/ocpp/" + segment) == identity
    assert check_identity(identity) == identity


def test_printable_escapes_what_would_act_on_a_terminal():
    assert printable("CP-1") == "CP-1"
    assert printable("RDAM 123") == "RDAM 123"
    assert printable("CP\n[cs] CP-ADMIN") == "CP\\x0a[cs] CP-ADMIN"
    assert printable("\x1b[2J") == "\\x1b[2J"
    assert printable("a\u202eb") == "a\\u202eb"
    assert printable("back\\slash") == "back\\\\slash"
    assert printable("\U000e0001") == "\\U000e0001"


def test_id_injection_probe_is_refused_and_logged_escaped(caplog):
    # A newline in the identity used to forge "[cs] CP-ADMIN connected".
    connected = []

    async def scenario():
        async with CentralSystem(
            recording_central_system(),
            protocol=protocol,
            on_connect=lambda cp, link: connected.append(cp.id),
        ) as server:
            url = "ws://127.0.0.1:%d/CP-1%%0A%%5Bcs%%5D%%20CP-ADMIN%%20connected" % server.port
            with pytest.raises(InvalidStatus) as refused:
                await open_websocket(url)
            response = refused.value.response
            assert response.status_code == 400
            assert b"control character (U+000A)" in response.body
            websocket = await open_websocket(server.url("CP-1"))
            await websocket.close()

    with caplog.at_level(logging.INFO, logger="ocppj.server"):
        run(scenario())
    assert connected == ["CP-1"]
    for record in caplog.records:
        assert "\n" not in record.getMessage()
    assert any("refused /CP-1%0A" in record.getMessage() for record in caplog.records)


def test_the_client_refuses_an_identity_the_server_would_refuse():
    for identity in ("CP\n1", "CP/1", "\x1b[2J"):
        with pytest.raises(UsageError):
            ChargePointClient(
                "ws://127.0.0.1:9/ocpp",
                identity,
                protocol=protocol,
                boot_notification=boot_request(),
            )
