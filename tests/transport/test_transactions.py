"""Issue 13 item 14 (transaction messages, at least once made safe) and
the queue faults of item 15: resend under the original unique id,
duplicate detection in the central system (the duplicate-transaction
probe kills a charge point process with SIGKILL while its
StartTransaction waits for the answer), nothing given up is lost."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from ocpp16 import call, call_result, protocol
from ocppj.errors import InternalError
from ocppj.routing import on
from ocppj_aio.charge_point import ChargePoint
from ocppj_aio.client import ChargePointClient, DeliveryFailed, NotConnectedError
from ocppj_aio.demo import answering_class
from ocppj_aio.duplicates import DuplicateDetector
from ocppj_aio.queue import TransactionQueue
from ocppj_aio.server import CentralSystem
from transport_support import boot_request, free_port, recording_central_system, run, wait_for

NOW = "2024-05-01T12:00:00Z"


def start_request(tag="TAG-1", meter=100):
    return call.StartTransaction(connector_id=1, id_tag=tag, meter_start=meter, timestamp=NOW)


def stop_request():
    return call.StopTransaction(meter_stop=200, timestamp=NOW, transaction_id=0)


def make_client(url, **options):
    options.setdefault("protocol", protocol)
    options.setdefault("boot_notification", boot_request())
    options.setdefault("charge_point_factory", answering_class(protocol, "ChargePoint"))
    options.setdefault("reconnect_delay", 0.05)
    options.setdefault("reconnect_max_delay", 0.2)
    return ChargePointClient(url, **options)


class Seen(DuplicateDetector):
    """A detector that also notes (action, unique id) of every
    transaction CALL it is asked about."""

    def __init__(self, **options):
        super().__init__(**options)
        self.seen = []

    def replay(self, identity, event):
        self.seen.append((event.action, event.unique_id))
        return super().replay(identity, event)


class Transactions(ChargePoint):
    """A central system that numbers transactions and counts its handler
    calls; the first StartTransaction can be told to drop the connection."""

    role = "CentralSystem"
    started = None  # list of idTags, per test
    drop_first = False

    @on("BootNotification")
    def boot(self, **fields):
        return call_result.BootNotification(status="Accepted", current_time=NOW, interval=300)

    @on("Heartbeat")
    def heartbeat(self):
        return call_result.Heartbeat(current_time=NOW)

    @on("StartTransaction")
    async def start_transaction(self, id_tag, **fields):
        self.started.append(id_tag)
        if self.drop_first and len(self.started) == 1:
            await self._connection.close(1011, "answer lost")
        return call_result.StartTransaction(
            transaction_id=len(self.started), id_tag_info={"status": "Accepted"}
        )

    @on("StopTransaction")
    def stop_transaction(self, **fields):
        return call_result.StopTransaction()


def transactions(**attributes):
    attributes.setdefault("started", [])
    return type("Transactions", (Transactions,), attributes)


# ------------------------------------------------------------------ original unique id


def test_after_a_reconnect_a_transaction_message_is_resent_under_its_original_id():
    factory = transactions(drop_first=True)
    detector = Seen(match="id")

    async def scenario():
        async with CentralSystem(factory, protocol=protocol, duplicates=detector) as server:
            client = make_client(server.url("CP-1"))
            async with client:
                response = await asyncio.wait_for(client.enqueue(start_request()), 10)
                assert client.connections == 2
        # the first answer never left: the repeat is answered as the first was
        assert factory.started == ["TAG-1"]
        assert response.transaction_id == 1
        starts = [unique_id for action, unique_id in detector.seen if action == "StartTransaction"]
        assert len(starts) == 2 and starts[0] == starts[1]
        assert detector.repeats == 1 and detector.by_id == 1

    run(scenario())


def test_a_retry_on_the_same_connection_gets_a_new_id():
    detector = Seen()
    factory = recording_central_system(answers={"StartTransaction": [InternalError("busy")]})

    async def scenario():
        async with CentralSystem(factory, protocol=protocol, duplicates=detector) as server:
            client = make_client(server.url("CP-1"), transaction_message_retry_interval=0.05)
            async with client:
                await asyncio.wait_for(client.enqueue(start_request()), 10)
        ids = [unique_id for action, unique_id in detector.seen if action == "StartTransaction"]
        assert len(ids) == 2 and ids[0] != ids[1]  # OCPP-J 4.1.4
        assert detector.repeats == 0  # a CALLERROR answer is not remembered

    run(scenario())


# ------------------------------------------------------------------ duplicate detection


def test_duplicate_detection_answers_a_repeat_without_calling_the_handler_again():
    factory = transactions()

    async def scenario():
        async with CentralSystem(factory, protocol=protocol, duplicates=True) as server:
            client = make_client(server.url("CP-1"))
            async with client:
                await client.wait_accepted(5)
                first = await client.charge_point.call(start_request())
                # another client resending under a new id: matched by content
                again = await client.charge_point.call(start_request())
                other = await client.charge_point.call(start_request(meter=101))
        assert factory.started == ["TAG-1", "TAG-1"]
        assert first.transaction_id == again.transaction_id == 1
        assert other.transaction_id == 2
        assert server.duplicates.repeats == 1

    run(scenario())


def test_id_matching_needs_the_same_id_and_content_and_memory_is_bounded():
    detector = DuplicateDetector(per_charge_point=2, charge_points=2, match="id")

    class Event:
        def __init__(self, unique_id, payload, action="MeterValues"):
            self.unique_id, self.payload, self.action = unique_id, payload, action

    detector.record("A", Event("1", {"x": 1}), "answer-1")
    assert detector.replay("A", Event("1", {"x": 1})) == "answer-1"
    assert detector.replay("A", Event("2", {"x": 1})) is None  # new id
    assert detector.replay("A", Event("1", {"x": 2})) is None  # id reused for another message
    assert detector.replay("B", Event("1", {"x": 1})) is None  # another charge point
    assert detector.replay("A", Event("1", {"x": 1}, "Heartbeat")) is None
    detector.record("A", Event("2", {"x": 2}), "answer-2")
    detector.record("A", Event("3", {"x": 3}), "answer-3")
    assert detector.replay("A", Event("1", {"x": 1})) is None  # the oldest went
    detector.record("B", Event("1", {"x": 1}), "b")
    detector.record("C", Event("1", {"x": 1}), "c")
    assert detector.replay("A", Event("3", {"x": 3})) is None  # least recent charge point went
    with pytest.raises(ValueError):
        DuplicateDetector(match="payload")


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from ocpp16 import call, protocol
    from ocppj_aio.client import ChargePointClient
    from ocppj_aio.demo import answering_class

    async def main(url, queue):
        client = ChargePointClient(
            url, protocol=protocol, queue=queue, reconnect_delay=0.05,
            boot_notification=call.BootNotification(
                charge_point_vendor="V", charge_point_model="M"),
            charge_point_factory=answering_class(protocol, "ChargePoint"))
        async with client:
            if not client.queue:
                client.enqueue(call.StartTransaction(
                    connector_id=1, id_tag="TAG-K", meter_start=7,
                    timestamp="2024-05-01T12:00:00Z"))
            while client.queue:
                await asyncio.sleep(0.02)
            print("delivered", flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.parametrize(
    "duplicates, delay, in_flight",
    [(True, 0.3, False), (True, 3.0, True), (None, 0.3, False)],
    ids=["repeat-after-the-first", "repeat-while-the-first-runs", "no-detection"],
)
def test_duplicate_transaction_probe_kill_9_while_the_answer_is_on_its_way(
    tmp_path, duplicates, delay, in_flight
):
    # The charge point process is killed (SIGKILL) after sending its
    # StartTransaction and before the answer arrives; restarted on the same
    # queue file it sends it again. With detection the central system
    # handles it once; without, it opens a second transaction.
    queue = str(tmp_path / "queue.jsonl")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    started = []
    answered = []

    class Slow(Transactions):
        @on("StartTransaction")
        async def start_transaction(self, id_tag, **fields):
            started.append(id_tag)
            await asyncio.sleep(delay)
            answered.append(id_tag)
            return call_result.StartTransaction(
                transaction_id=len(started), id_tag_info={"status": "Accepted"}
            )

    async def scenario():
        async with CentralSystem(Slow, protocol=protocol, duplicates=duplicates) as server:
            url = server.url("CP-KILL")
            first = subprocess.Popen([sys.executable, "-c", CHILD, url, queue], env=env)
            try:
                await wait_for(lambda: started, timeout=15)
                first.send_signal(signal.SIGKILL)
            finally:
                first.wait()
            if duplicates and not in_flight:
                # the first runs to its end although its connection is gone
                await wait_for(lambda: answered, timeout=5)
            second = subprocess.Popen(
                [sys.executable, "-c", CHILD, url, queue], env=env, stdout=subprocess.PIPE
            )
            out, _ = await asyncio.get_running_loop().run_in_executor(
                None, lambda: second.communicate(timeout=15)
            )
            assert b"delivered" in out
            if in_flight:
                assert server.duplicates.repeats == 1

    run(scenario(), timeout=40)
    assert len(TransactionQueue(queue)) == 0
    if duplicates:
        assert started == ["TAG-K"]
    else:
        assert started == ["TAG-K", "TAG-K"]  # what detection is for


# ------------------------------------------------------------------ nothing given up is lost


def test_a_start_given_up_keeps_its_meter_values_and_stop_and_reports_them(tmp_path):
    factory = recording_central_system(
        answers={"StartTransaction": [InternalError("no"), InternalError("no")]}
    )
    reported = []
    path = str(tmp_path / "queue.jsonl")

    async def scenario():
        async with CentralSystem(factory, protocol=protocol) as server:
            client = make_client(
                server.url("CP-1"),
                queue=path,
                transaction_message_attempts=2,
                transaction_message_retry_interval=0.05,
                on_undelivered=lambda message, reason: reported.append((message.action, reason)),
            )
            async with client:
                await client.wait_accepted(5)
                doomed = client.enqueue(start_request("TAG-X"))
                meter = client.enqueue(
                    protocol.decode_request(
                        "MeterValues",
                        {
                            "connectorId": 1,
                            "transactionId": 0,
                            "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "9"}]}],
                        },
                    ),
                    transaction=doomed.transaction,
                )
                stop = client.enqueue(stop_request(), transaction=doomed.transaction)
                for delivery in (doomed, meter, stop):
                    with pytest.raises(DeliveryFailed) as caught:
                        await asyncio.wait_for(delivery, 5)
                    assert caught.value.held
                held = client.held_messages()
                assert [m.action for m in held] == [
                    "StartTransaction",
                    "MeterValues",
                    "StopTransaction",
                ]
                assert reported[0] == ("StartTransaction", held[0].held)
                assert "failed 2 times" in reported[0][1]
                assert [r[1] for r in reported[1:]] == [
                    "its StartTransaction was not delivered"
                ] * 2
            # held messages survive a restart of the charge point
            again = make_client(server.url("CP-1"), queue=path)
            assert [m.action for m in again.held_messages()] == [m.action for m in held]
            async with again:
                released = again.release_held()
                assert len(released) == 3
                await wait_for(lambda: len(again.queue) == 0, timeout=5)
            assert again.held_messages() == []
        sent = [(action, fields) for _, action, fields in factory.received]
        assert [action for action, _ in sent][-3:] == [
            "StartTransaction",
            "MeterValues",
            "StopTransaction",
        ]
        assert sent[-1][1]["transaction_id"] == 1 and sent[-2][1]["transaction_id"] == 1

    run(scenario())


def test_a_start_whose_send_meets_a_closed_session_stays_queued():
    # Planted fault (issue 13 item 15): the StartTransaction was dropped
    # instead of kept when the session was already closed at send time.
    async def scenario():
        client = make_client("ws://127.0.0.1:%d/CP-1" % free_port())
        start = client.enqueue(start_request())
        session = ChargePoint("CP-1", None, protocol=protocol, role="ChargePoint")
        session.close()
        with pytest.raises(NotConnectedError):
            await client._deliver_loop(session)
        assert [e.action for e in client.queue.entries()] == ["StartTransaction"]
        assert client.held_messages() == [] and not start.done()

    run(scenario())


# ------------------------------------------------------------------ the queue file


def test_put_is_on_disk_before_it_returns(tmp_path, monkeypatch):
    # Planted fault (issue 13 item 15): a put that neither flushes nor
    # fsyncs. A crash right after enqueue must not lose the message.
    import ocppj_aio.queue as queue_module

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(queue_module.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    path = str(tmp_path / "queue.jsonl")
    queue = TransactionQueue(path)
    synced.clear()
    entry = queue.put("StartTransaction", {"connectorId": 1})
    assert synced == [queue._file.fileno()]
    with open(path, encoding="utf-8") as handle:  # another reader, queue still open
        records = [json.loads(line) for line in handle]
    assert records[-1]["op"] == "put" and records[-1]["seq"] == entry.seq
    queue.assign_id(entry, "id-1")
    assert len(synced) == 2


def test_a_process_killed_right_after_put_keeps_the_message(tmp_path):
    path = str(tmp_path / "queue.jsonl")
    code = (
        "import os, signal, sys\n"
        "from ocppj_aio.queue import TransactionQueue\n"
        "queue = TransactionQueue(sys.argv[1])\n"
        "queue.put('StartTransaction', {'connectorId': 1})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    child = subprocess.run([sys.executable, "-c", code, path], timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert [e.action for e in TransactionQueue(path).entries()] == ["StartTransaction"]
