"""The broker side: a restart mid-session loses nothing that was
acknowledged; mqtts:// with a client certificate, user and password."""

import asyncio
import itertools
import os
import subprocess
import sys

import pytest
from gateway_support import Service, gateway, run
from mosquitto_broker import Mosquitto
from ocpp16 import call, protocol
from ocppj_aio.client import ChargePointClient
from ocppj_aio.gateway import BrokerError, BrokerSettings, Gateway


def test_a_broker_restart_mid_session_loses_no_acknowledged_message(tmp_path):
    count = 40
    with Mosquitto(tmp_path) as broker:

        async def scenario():
            transaction_ids = itertools.count(1)
            seen = []

            def answer(identity, action, payload):
                seen.append((action, payload))
                if action == "StartTransaction":
                    return {
                        "idTagInfo": {"status": "Accepted"},
                        "transactionId": next(transaction_ids),
                    }
                if action == "StopTransaction":
                    return {"idTagInfo": {"status": "Accepted"}}
                if action == "BootNotification":
                    return {
                        "status": "Accepted",
                        "currentTime": "2026-01-01T00:00:00Z",
                        "interval": 300,
                    }
                return {}

            async with (
                Service(broker, persistent=True) as service,
                gateway(broker, call_timeout=20) as gw,
            ):
                service.answer_calls(answer=answer)
                client = ChargePointClient(
                    gw.url("CP-R-1"),
                    protocol=protocol,
                    boot_notification=call.BootNotification(
                        charge_point_vendor="V", charge_point_model="M"
                    ),
                    heartbeats=False,
                    response_timeout=30,
                )
                await client.start()
                try:
                    await client.wait_accepted(timeout=10)
                    start = client.enqueue(
                        call.StartTransaction(
                            connector_id=1,
                            id_tag="T",
                            meter_start=0,
                            timestamp="2026-01-01T00:00:00Z",
                        )
                    )
                    deliveries = [start]
                    for value in range(count):
                        deliveries.append(
                            client.enqueue(_meter(value), transaction=start.transaction)
                        )
                        if value == count // 3:
                            await deliveries[-1]
                            broker.restart()  # graceful: Mosquitto saves its sessions
                    await asyncio.wait_for(asyncio.gather(*deliveries), 40)
                    values = sorted(
                        int(p["meterValue"][0]["sampledValue"][0]["value"])
                        for a, p in seen
                        if a == "MeterValues"
                    )
                    # every acknowledged MeterValues reached the service; a
                    # redelivery after the restart may repeat one (QoS 1)
                    assert set(values) == set(range(count))
                    assert len(values) - count <= 2
                    assert gw.mqtt.connected
                finally:
                    await client.close()

        run(scenario(), timeout=90)


def _meter(value):
    return call.MeterValues(
        connector_id=1,
        transaction_id=0,
        meter_value=[
            {
                "timestamp": "2026-01-01T00:00:00Z",
                "sampled_value": [{"value": str(value)}],
            }
        ],
    )


# ------------------------------------------------------------ mqtts, users


sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "transport")
)
from transport_certs import Pki  # noqa: E402


@pytest.fixture
def secured_broker(tmp_path):
    pki = Pki(str(tmp_path))
    passwords = os.path.join(str(tmp_path), "passwords")
    open(passwords, "w").close()
    for user in ("gw", "svc"):
        subprocess.run(
            ["mosquitto_passwd", "-b", passwords, user, "secret-" + user],
            check=True,
            capture_output=True,
        )
    broker = Mosquitto(
        tmp_path,
        listener_config=[
            "cafile %s" % pki.ca,
            "certfile %s" % pki.server[0],
            "keyfile %s" % pki.server[1],
            "require_certificate true",
            "tls_version tlsv1.2",
        ],
        extra_config=["password_file %s" % passwords],
        anonymous=False,
    )
    with broker:
        yield broker, pki


def _client_tls(pki, name):
    import ssl

    context = ssl.create_default_context(cafile=pki.ca)
    context.load_cert_chain(*pki.client(name))
    return context


def test_mqtts_with_a_client_certificate_user_and_password(secured_broker):
    broker, pki = secured_broker
    cert, key = pki.client("gateway")

    async def scenario():
        settings = BrokerSettings.from_url(
            "mqtts://gw:secret-gw@127.0.0.1:%d" % broker.port,
            cafile=pki.ca,
            certfile=cert,
            keyfile=key,
        )
        async with (
            Service(
                broker, ssl=_client_tls(pki, "service"), credentials=("svc", "secret-svc")
            ) as service,
            Gateway(protocol=protocol, broker=settings, port=0, call_timeout=5) as gw,
        ):
            service.answer_calls()
            websocket, cp, reader = await _charge_point(gw)
            response = await cp.call(call.Heartbeat(), suppress=False)
            assert response.current_time
            await websocket.close()

    run(scenario())


def test_a_broker_that_refuses_us_is_one_clear_error(secured_broker):
    broker, pki = secured_broker
    cert, key = pki.client("gateway")

    async def scenario():
        wrong_password = BrokerSettings.from_url(
            "mqtts://gw:wrong@127.0.0.1:%d" % broker.port, cafile=pki.ca, certfile=cert, keyfile=key
        )
        with pytest.raises(BrokerError, match="refused"):
            await Gateway(protocol=protocol, broker=wrong_password, port=0).start()
        no_certificate = BrokerSettings.from_url(
            "mqtts://gw:secret-gw@127.0.0.1:%d" % broker.port, cafile=pki.ca
        )
        with pytest.raises(BrokerError):
            await Gateway(protocol=protocol, broker=no_certificate, port=0).start()
        plain = BrokerSettings.from_url("mqtt://gw:secret-gw@127.0.0.1:%d" % broker.port)
        with pytest.raises(BrokerError):
            await Gateway(protocol=protocol, broker=plain, port=0).start()

    run(scenario())


async def _charge_point(gw):
    from gateway_support import charge_point

    return await charge_point(gw.url("CP-TLS-1"))
