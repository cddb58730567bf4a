"""The file-backed transaction message queue on its own (no network)."""

import json
import os

import pytest
from ocppj.errors import QueueFullError, UsageError
from ocppj_aio.queue import TransactionQueue, TransactionQueueFull

START = {
    "connectorId": 1,
    "idTag": "TAG",
    "meterStart": 0,
    "timestamp": "2024-01-01T00:00:00Z",
}
METER = {
    "connectorId": 1,
    "meterValue": [{"timestamp": "2024-01-01T00:01:00Z", "sampledValue": [{"value": "5"}]}],
}
STOP = {"meterStop": 10, "timestamp": "2024-01-01T00:02:00Z", "transactionId": 0}


def records(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_messages_survive_a_reopen_in_order_with_their_references(tmp_path):
    path = str(tmp_path / "q.jsonl")
    queue = TransactionQueue(path)
    start = queue.put("StartTransaction", START)
    meter = queue.put("MeterValues", METER, transaction=start.starts)
    queue.put("StopTransaction", STOP, transaction=start.starts)
    queue.record_attempt(start)
    queue.close()

    again = TransactionQueue(path)
    entries = again.entries()
    assert [e.action for e in entries] == [
        "StartTransaction",
        "MeterValues",
        "StopTransaction",
    ]
    assert entries[0].attempts == 1
    assert entries[1].transaction == start.starts == entries[2].transaction
    assert again.resolve(entries[1]) is None  # no transactionId known yet

    again.done(entries[0], transaction_id=77)
    assert again.transaction_id(start.starts) == 77
    payload = again.resolve(again.peek())
    assert payload["transactionId"] == 77 and payload["connectorId"] == 1
    assert entries[1].payload is not payload  # queued payload untouched
    again.close()

    third = TransactionQueue(path)
    assert third.transaction_id(start.starts) == 77
    assert [e.seq for e in third.entries()] == [meter.seq, meter.seq + 1]
    third.done(third.peek())
    third.done(third.peek())  # the StopTransaction ends the reference
    assert len(third) == 0 and not third.knows(start.starts)
    third.close()
    assert len(TransactionQueue(path)) == 0


def test_a_torn_last_line_is_dropped_and_never_glued_to_the_next_append(tmp_path):
    path = str(tmp_path / "q.jsonl")
    queue = TransactionQueue(path)
    queue.put("StartTransaction", START)
    queue.close()
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"op":"put","seq":2,"action":"MeterVal')  # crash mid-append
    reopened = TransactionQueue(path)
    assert [e.action for e in reopened.entries()] == ["StartTransaction"]
    assert reopened.skipped_records == 0
    reopened.put("MeterValues", METER)
    reopened.close()
    assert [r["op"] for r in records(path)][-1] == "put"
    assert [e.action for e in TransactionQueue(path).entries()] == [
        "StartTransaction",
        "MeterValues",
    ]


def test_a_corrupt_middle_line_is_skipped_and_counted(tmp_path):
    path = str(tmp_path / "q.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            json.dumps({"op": "put", "seq": 1, "action": "MeterValues", "payload": METER}) + "\n"
        )
        handle.write("garbage\n")
        handle.write(
            json.dumps({"op": "put", "seq": 2, "action": "MeterValues", "payload": METER}) + "\n"
        )
    queue = TransactionQueue(path)
    assert queue.skipped_records == 1
    assert [e.seq for e in queue.entries()] == [1, 2]
    assert queue.put("MeterValues", METER).seq == 3


def test_compaction_keeps_only_live_state_and_replaces_the_file(tmp_path):
    path = str(tmp_path / "q.jsonl")
    queue = TransactionQueue(path, compact_after=10)
    for _ in range(20):
        entry = queue.put("MeterValues", METER)
        queue.done(entry)
    survivor = queue.put("MeterValues", METER)
    queue.close()
    assert len(records(path)) < 12  # compacted on the way, not 40+ lines
    assert not os.path.exists(path + ".tmp")
    reopened = TransactionQueue(path)
    assert [e.seq for e in reopened.entries()] == [survivor.seq]
    reopened.close()
    assert records(path) == [
        {
            "op": "put",
            "seq": survivor.seq,
            "action": "MeterValues",
            "payload": METER,
            "tx": None,
            "starts": None,
            "attempts": 0,
            "id": None,
        }
    ]


def test_bounded_meter_values_make_room_for_transactions(tmp_path):
    queue = TransactionQueue(str(tmp_path / "q.jsonl"), limit=3)
    first = queue.put("MeterValues", METER)  # the head may be in flight
    second = queue.put("MeterValues", METER)
    queue.put("MeterValues", METER)
    start = queue.put("StartTransaction", START)
    assert second not in queue.entries() and first in queue.entries()
    queue.put("StopTransaction", STOP, transaction=start.starts)
    assert [e.action for e in queue.entries()] == [
        "MeterValues",
        "StartTransaction",
        "StopTransaction",
    ]
    with pytest.raises(TransactionQueueFull) as caught:
        queue.put("StartTransaction", START)
    assert isinstance(caught.value, QueueFullError)
    assert len(queue) == 3


def test_misuse_is_refused(tmp_path):
    queue = TransactionQueue()  # in memory
    with pytest.raises(UsageError):
        queue.put("Heartbeat", {})
    with pytest.raises(UsageError):
        queue.put("StopTransaction", STOP, transaction="t-unknown")
    with pytest.raises(UsageError):
        queue.put("StartTransaction", START, transaction="t-x")
    entry = queue.put("MeterValues", METER)
    queue.done(entry)
    with pytest.raises(UsageError):
        queue.done(entry)
    with pytest.raises(UsageError):
        TransactionQueue(limit=0)


def test_a_start_given_up_leaves_its_dependents_unsendable():
    queue = TransactionQueue()
    start = queue.put("StartTransaction", START)
    stop = queue.put("StopTransaction", STOP, transaction=start.starts)
    queue.done(start, why="dropped: rejected 3 times")
    assert queue.knows(start.starts) and queue.transaction_id(start.starts) is None
    assert queue.resolve(stop) is None
