"""Charge point client: registration, heartbeats, reconnects, the
transaction message queue, against a real central system on 127.0.0.1."""

import asyncio
import random

import pytest
from ocpp16 import call, protocol
from ocppj.errors import CallTimeoutError, InternalError, UsageError
from ocppj.routing import on
from ocppj_aio import security
from ocppj_aio.client import (
    ChargePointClient,
    ConnectionFailed,
    DeliveryFailed,
    NotAcceptedError,
    NotConnectedError,
)
from ocppj_aio.demo import answering_class
from ocppj_aio.server import CentralSystem
from transport_support import (
    boot_request,
    free_port,
    recording_central_system,
    run,
    wait_for,
)
from websockets.exceptions import InvalidStatus

NOW = "2024-05-01T12:00:00Z"
AnsweringChargePoint = answering_class(protocol, "ChargePoint")


def boot_answer(status, interval):
    return {"status": status, "currentTime": NOW, "interval": interval}


def make_client(url, **options):
    options.setdefault("protocol", protocol)
    options.setdefault("boot_notification", boot_request())
    options.setdefault("charge_point_factory", AnsweringChargePoint)
    options.setdefault("reconnect_delay", 0.05)
    options.setdefault("reconnect_max_delay", 0.2)
    return ChargePointClient(url, **options)


def actions(factory, identity=None):
    return [action for who, action, _ in factory.received if identity in (None, who)]


def start_request(tag="TAG-1"):
    return call.StartTransaction(connector_id=1, id_tag=tag, meter_start=100, timestamp=NOW)


def meter_request():
    return protocol.decode_request(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": 0,
            "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "150"}]}],
        },
    )


def stop_request():
    return call.StopTransaction(meter_stop=200, timestamp=NOW, transaction_id=0)


# ------------------------------------------------------------------ registration


def test_boot_first_then_heartbeats_at_the_interval_given():
    async def scenario():
        factory = recording_central_system({"BootNotification": {"interval": 1}})
        async with CentralSystem(factory, protocol=protocol) as server:
            client = make_client(server.url(), identity="CP 1")
            assert client.url.endswith("/CP%201")
            async with client:
                await client.wait_accepted(5)
                assert client.heartbeat_interval == 1
                assert client.registration.status == "Accepted"
                loop = asyncio.get_running_loop()
                started = loop.time()
                await wait_for(lambda: actions(factory).count("Heartbeat") == 2, timeout=6)
                elapsed = loop.time() - started
            assert actions(factory)[:3] == [
                "BootNotification",
                "Heartbeat",
                "Heartbeat",
            ]
            assert 1.8 <= elapsed < 5
            assert client.state == "closed"

    run(scenario())


def test_pending_answers_the_central_system_but_sends_nothing_until_accepted():
    async def scenario():
        factory = recording_central_system(
            answers={
                "BootNotification": [
                    boot_answer("Pending", 1),
                    boot_answer("Accepted", 0),
                ]
            }
        )
        states = []
        async with CentralSystem(factory, protocol=protocol) as server:
            client = make_client(
                server.url("CP-1"), on_state_change=lambda old, new: states.append(new)
            )
            async with client:
                await wait_for(lambda: client.state == "pending")
                loop = asyncio.get_running_loop()
                pending_at = loop.time()
                with pytest.raises(NotAcceptedError):
                    await client.call(call.Heartbeat())
                # The central system may configure the charge point meanwhile.
                configuration = await server.call("CP-1", call.GetConfiguration())
                assert configuration.unknown_key == []
                # What a TriggerMessage asked for may be sent while Pending.
                await client.call(
                    call.StatusNotification(
                        connector_id=0, error_code="NoError", status="Available"
                    ),
                    allow_pending=True,
                )
                await client.wait_accepted(5)
                waited = loop.time() - pending_at
                assert client.heartbeat_interval == 0  # heartbeats off
            assert actions(factory) == [
                "BootNotification",
                "StatusNotification",
                "BootNotification",
            ]
            assert 0.8 <= waited < 4
            assert states[:4] == ["connecting", "booting", "pending", "accepted"]

    run(scenario())


def test_trigger_boot_resends_at_once_while_pending():
    async def scenario():
        factory = recording_central_system(
            answers={"BootNotification": [boot_answer("Pending", 60)]}
        )
        async with CentralSystem(factory, protocol=protocol) as server:
            async with make_client(server.url("CP-1")) as client:
                await wait_for(lambda: client.state == "pending")
                client.trigger_boot()
                await client.wait_accepted(2)
            assert actions(factory) == ["BootNotification", "BootNotification"]

    run(scenario())


def test_rejected_charge_point_stays_silent_until_the_interval_passed():
    async def scenario():
        factory = recording_central_system(
            answers={"BootNotification": [boot_answer("Rejected", 1)]}
        )
        async with CentralSystem(factory, protocol=protocol, response_timeout=0.4) as server:
            async with make_client(server.url("CP-1")) as client:
                await wait_for(lambda: client.state == "rejected")
                # While Rejected the charge point does not answer (OCPP 1.6 4.2).
                with pytest.raises(CallTimeoutError):
                    await server.call("CP-1", call.Reset(type="Soft"))
                assert client.link.dropped_messages == 1
                with pytest.raises(NotAcceptedError):
                    await client.call(call.Heartbeat())
                await client.wait_accepted(3)
                response = await server.call("CP-1", call.Reset(type="Soft"))
                assert response.status == "Accepted"
            assert actions(factory) == ["BootNotification", "BootNotification"]

    run(scenario())


def test_a_failed_boot_is_retried():
    async def scenario():
        factory = recording_central_system(
            answers={"BootNotification": [InternalError("database down")]}
        )
        async with CentralSystem(factory, protocol=protocol) as server:
            async with make_client(server.url("CP-1"), boot_retry_interval=0.2) as client:
                await client.wait_accepted(3)
            assert actions(factory) == ["BootNotification", "BootNotification"]

    run(scenario())


# ------------------------------------------------------------------ reconnecting


def test_backoff_grows_exponentially_is_capped_and_jittered():
    client = make_client(
        "ws://127.0.0.1:1/CP",
        reconnect_delay=1,
        reconnect_factor=2,
        reconnect_max_delay=30,
        reconnect_jitter=0.5,
        rng=random.Random(7),
    )
    for attempt, ceiling in [
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 8),
        (5, 16),
        (6, 30),
        (20, 30),
    ]:
        delays = [client.backoff_delay(attempt) for _ in range(200)]
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling * 0.3  # really jittered


def test_gives_up_after_max_reconnects_with_growing_delays():
    async def scenario():
        client = make_client(
            "ws://127.0.0.1:%d/CP-1" % free_port(),
            max_reconnects=3,
            reconnect_delay=0.02,
            reconnect_factor=2,
            reconnect_jitter=0,
        )
        with pytest.raises(ConnectionFailed) as caught:
            await client.run()
        assert isinstance(caught.value.last_error, OSError)
        assert client.reconnect_delays == [0.02, 0.04, 0.08]
        with pytest.raises(NotConnectedError):
            await client.call(call.Heartbeat())

    run(scenario())


def test_wait_accepted_raises_once_the_client_gave_up_instead_of_hanging():
    # issue 13 item 3: max_reconnects=0 and nothing listening used to leave
    # wait_accepted() waiting forever, with the state stuck at "offline".
    async def scenario():
        client = make_client("ws://127.0.0.1:%d/CP-1" % free_port(), max_reconnects=0)
        await client.start()
        try:
            with pytest.raises(ConnectionFailed) as caught:
                await client.wait_accepted(timeout=10)
            assert client.state == "failed"
            assert client.failure is caught.value
            assert isinstance(client.last_error, ConnectionRefusedError)
            assert caught.value.last_error is client.last_error
            assert "1 connection attempt failed" in str(caught.value)
            assert "nothing listens at 127.0.0.1:" in str(caught.value)
            with pytest.raises(NotConnectedError, match="gave up: 1 connection attempt"):
                await client.call(call.Heartbeat())
        finally:
            await client.close()
        assert client.state == "failed" and client.failure is caught.value  # after close()

    run(scenario())


def test_leaving_async_with_raises_the_failure_it_would_have_swallowed():
    async def scenario():
        client = make_client("ws://127.0.0.1:%d/CP-1" % free_port(), max_reconnects=1)
        with pytest.raises(ConnectionFailed) as caught:
            async with client:
                await wait_for(lambda: client.state == "failed", timeout=10)
        assert "2 connection attempts failed" in str(caught.value)

        # An exception of the body wins: the failure does not replace it.
        client = make_client("ws://127.0.0.1:%d/CP-1" % free_port(), max_reconnects=0)
        with pytest.raises(KeyError):
            async with client:
                await wait_for(lambda: client.state == "failed", timeout=10)
                raise KeyError("the body's own error")

        # Closed before giving up: nothing to raise, wait_accepted says closed.
        client = make_client("ws://127.0.0.1:%d/CP-1" % free_port())
        async with client:
            await wait_for(lambda: client.failed_attempts >= 1, timeout=10)
        with pytest.raises(NotConnectedError, match="closed"):
            await client.wait_accepted(timeout=1)

    run(scenario())


def test_a_url_without_an_identity_is_refused_at_construction():
    with pytest.raises(UsageError, match="no charge point identity"):
        make_client("ws://127.0.0.1:9000")
    with pytest.raises(UsageError, match="no charge point identity"):
        make_client("ws://127.0.0.1:9000/")
    assert make_client("ws://127.0.0.1:9000/ocpp/CP%201").identity == "CP 1"
    assert make_client("ws://127.0.0.1:9000", identity="CP-2").url.endswith(":9000/CP-2")


def test_http_refusals_are_retried_with_backoff_too():
    async def scenario():
        table = security.PasswordTable({"CP-1": "right-password-000000"})
        async with CentralSystem(
            recording_central_system(),
            protocol=protocol,
            security_profile=1,
            authenticator=table,
        ) as server:
            client = make_client(
                server.url("CP-1"), password="wrong-password-00000", max_reconnects=1
            )
            with pytest.raises(ConnectionFailed) as caught:
                await client.run()
            assert isinstance(caught.value.last_error, InvalidStatus)
            assert caught.value.last_error.response.status_code == 401
            assert len(client.reconnect_delays) == 1

    run(scenario())


def test_connects_once_the_central_system_comes_up_and_reconnects_after_a_drop():
    async def scenario():
        port = free_port()
        factory = recording_central_system()
        client = make_client("ws://127.0.0.1:%d/CP-1" % port)
        await client.start()
        await wait_for(lambda: client.failed_attempts >= 2)
        server = CentralSystem(factory, protocol=protocol, port=port)
        await server.start()
        try:
            await client.wait_accepted(3)
            assert client.connections == 1
            await server.link("CP-1").close(1001, "restarting")
            await wait_for(lambda: client.connections == 2 and client.accepted, timeout=3)
            # Unchanged BootNotification: not sent again (OCPP-J 1.6 5.4).
            assert actions(factory).count("BootNotification") == 1
            # Changed (e.g. new firmware): sent again on the next connection.
            client.boot_notification = boot_request(model="Model-2")
            await server.link("CP-1").close(1001, "restarting")
            await wait_for(lambda: client.connections == 3 and client.accepted, timeout=3)
            assert actions(factory).count("BootNotification") == 2
            assert factory.received[-1][2]["charge_point_model"] == "Model-2"
        finally:
            await client.close()
            await server.close()

    run(scenario())


def test_client_closes_a_connection_without_an_agreed_subprotocol():
    async def scenario():
        async with CentralSystem(
            recording_central_system(),
            protocol=protocol,
            subprotocols=("ocpp2.0.1",),
            subprotocol_mismatch="close",
        ) as server:
            client = make_client(server.url("CP-1"), max_reconnects=1)
            with pytest.raises(ConnectionFailed):
                await client.run()
            assert "selected no subprotocol" in str(client.last_error)
            assert client.connections == 0

    run(scenario())


# ------------------------------------------------------------------ transaction queue


def test_offline_transaction_messages_are_delivered_in_order_with_the_assigned_id(
    tmp_path,
):
    async def scenario():
        port = free_port()
        factory = recording_central_system()
        client = make_client("ws://127.0.0.1:%d/CP-1" % port, queue=str(tmp_path / "q.jsonl"))
        start = client.enqueue(start_request())
        meter = client.enqueue(meter_request(), transaction=start.transaction)
        stop = client.enqueue(stop_request(), transaction=start.transaction)
        await client.start()
        await asyncio.sleep(0.1)
        assert len(client.queue) == 3 and not start.done()
        async with CentralSystem(factory, protocol=protocol, port=port):
            started = await asyncio.wait_for(start, 5)
            await asyncio.wait_for(meter, 5)
            await asyncio.wait_for(stop, 5)
            await client.close()
        assert started.transaction_id == 1
        assert client.transaction_id(start.transaction) is None  # forgotten after the stop
        assert actions(factory) == [
            "BootNotification",
            "StartTransaction",
            "MeterValues",
            "StopTransaction",
        ]
        sent = {action: fields for _, action, fields in factory.received}
        assert sent["MeterValues"]["transaction_id"] == 1
        assert sent["StopTransaction"]["transaction_id"] == 1
        assert len(client.queue) == 0

    run(scenario())


def test_the_queue_survives_a_restart_of_the_charge_point(tmp_path):
    path = str(tmp_path / "transactions.jsonl")

    async def before_restart():
        client = make_client("ws://127.0.0.1:%d/CP-1" % free_port(), queue=path)
        await client.start()
        start = client.enqueue(start_request("TAG-R"))
        client.enqueue(stop_request(), transaction=start.transaction)
        await asyncio.sleep(0.1)
        await client.close()  # "power off" with two messages queued

    async def after_restart():
        factory = recording_central_system()
        async with CentralSystem(factory, protocol=protocol) as server:
            client = make_client(server.url("CP-1"), queue=path)
            assert [e.action for e in client.queue.entries()] == [
                "StartTransaction",
                "StopTransaction",
            ]
            async with client:
                await wait_for(lambda: len(client.queue) == 0, timeout=5)
        assert actions(factory) == [
            "BootNotification",
            "StartTransaction",
            "StopTransaction",
        ]
        assert factory.received[1][2]["id_tag"] == "TAG-R"
        assert factory.received[2][2]["transaction_id"] == 1

    run(before_restart())
    run(after_restart())


def test_failed_deliveries_are_retried_with_growing_waits():
    async def scenario():
        factory = recording_central_system(
            answers={"StartTransaction": [InternalError("busy"), InternalError("busy")]}
        )
        async with CentralSystem(factory, protocol=protocol) as server:
            client = make_client(
                server.url("CP-1"),
                transaction_message_attempts=3,
                transaction_message_retry_interval=0.15,
            )
            async with client:
                await client.wait_accepted(3)
                loop = asyncio.get_running_loop()
                begun = loop.time()
                response = await asyncio.wait_for(client.enqueue(start_request()), 5)
                elapsed = loop.time() - begun
            assert response.transaction_id == 1
            assert actions(factory).count("StartTransaction") == 3
            # waits of 0.15 * 1 and 0.15 * 2 (OCPP 1.6 3.7.1)
            assert 0.45 <= elapsed < 3

    run(scenario())


def test_a_message_failing_every_attempt_is_dropped_with_its_dependents():
    async def scenario():
        factory = recording_central_system(
            answers={"StartTransaction": [InternalError("no"), InternalError("no")]}
        )
        async with CentralSystem(factory, protocol=protocol) as server:
            client = make_client(
                server.url("CP-1"),
                transaction_message_attempts=2,
                transaction_message_retry_interval=0.05,
            )
            async with client:
                await client.wait_accepted(3)
                doomed = client.enqueue(start_request("TAG-X"))
                orphan = client.enqueue(stop_request(), transaction=doomed.transaction)
                later = client.enqueue(start_request("TAG-Y"))
                with pytest.raises(DeliveryFailed) as caught:
                    await asyncio.wait_for(doomed, 5)
                assert "failed 2 times" in caught.value.reason
                with pytest.raises(DeliveryFailed) as caught:
                    await asyncio.wait_for(orphan, 5)
                assert "StartTransaction was not delivered" in caught.value.reason
                assert (await asyncio.wait_for(later, 5)).transaction_id == 1
            assert actions(factory).count("StartTransaction") == 3
            assert "StopTransaction" not in actions(factory)

    run(scenario())


def test_losing_the_connection_is_not_a_failed_attempt():
    class DroppingCentralSystem(recording_central_system()):
        dropped = []

        @on("StartTransaction")
        async def start_transaction(self, **fields):
            if not self.dropped:
                self.dropped.append(True)
                await self._connection.close(1011, "simulated crash")
                await asyncio.sleep(10)
            return protocol.decode_response(
                "StartTransaction",
                {"idTagInfo": {"status": "Accepted"}, "transactionId": 9},
            )

    DroppingCentralSystem.record_StartTransaction = None  # replaced by start()

    async def scenario():
        async with CentralSystem(DroppingCentralSystem, protocol=protocol) as server:
            client = make_client(server.url("CP-1"), transaction_message_attempts=1)
            async with client:
                response = await asyncio.wait_for(client.enqueue(start_request()), 5)
                assert response.transaction_id == 9
                assert client.connections == 2

    run(scenario())


def test_transaction_messages_cannot_overtake_the_queue():
    async def scenario():
        async with CentralSystem(recording_central_system(), protocol=protocol) as server:
            client = make_client(server.url("CP-1"))
            async with client:
                await client.wait_accepted(3)
                # Empty queue: a direct StartTransaction is fine.
                response = await client.call(start_request())
                assert response.transaction_id == 1
                client.queue.put("MeterValues", protocol.encode(meter_request()))
                with pytest.raises(UsageError):
                    await client.call(stop_request())
                # MeterValues without a transaction and other messages may pass.
                await client.call(call.Heartbeat())
            with pytest.raises(UsageError):
                client.enqueue(call.Heartbeat())
            with pytest.raises(UsageError):
                client.enqueue(
                    call.StartTransaction(
                        connector_id=1, id_tag="X" * 21, meter_start=0, timestamp=NOW
                    )
                )

    run(scenario())


def test_an_unsendable_boot_notification_fails_at_construction():
    with pytest.raises(UsageError):
        make_client("ws://127.0.0.1:1/CP", boot_notification=call.Heartbeat())
    with pytest.raises(UsageError) as caught:
        make_client(
            "ws://127.0.0.1:1/CP",
            boot_notification=call.BootNotification(
                charge_point_vendor="V" * 21, charge_point_model="M"
            ),
        )
    assert "chargePointVendor" in str(caught.value)


def test_meter_values_evicted_from_a_full_queue_fail_their_delivery():
    from ocppj_aio.queue import TransactionQueue

    async def scenario():
        client = make_client(
            "ws://127.0.0.1:%d/CP-1" % free_port(), queue=TransactionQueue(limit=2)
        )
        plain = protocol.decode_request(
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1"}]}],
            },
        )
        head = client.enqueue(plain)
        doomed = client.enqueue(plain)
        start = client.enqueue(start_request())
        with pytest.raises(DeliveryFailed) as caught:
            await asyncio.wait_for(doomed, 1)
        assert "evicted" in caught.value.reason
        assert not head.done() and not start.done()
        assert [e.action for e in client.queue.entries()] == [
            "MeterValues",
            "StartTransaction",
        ]

    run(scenario())


def test_a_rejection_is_honoured_across_a_reconnect():
    from ocppj.routing import after

    boot_times = []

    class RejectOnceAndHangUp(
        recording_central_system(answers={"BootNotification": [boot_answer("Rejected", 1)]})
    ):
        @after("BootNotification")
        async def hang_up(self, **fields):
            boot_times.append(asyncio.get_running_loop().time())
            if len(boot_times) == 1:
                await self._connection.close(1000, "go away for a while")

    async def scenario():
        async with CentralSystem(RejectOnceAndHangUp, protocol=protocol) as server:
            async with make_client(server.url("CP-1")) as client:
                await wait_for(lambda: client.connections == 2, timeout=3)
                await wait_for(lambda: server.is_connected("CP-1"))
                # Reconnected, but still inside the rejection interval.
                assert client.state == "rejected"
                assert len(boot_times) == 1
                await client.wait_accepted(3)
        assert len(boot_times) == 2
        assert boot_times[1] - boot_times[0] >= 0.95

    run(scenario())
