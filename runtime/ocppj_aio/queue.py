"""A bounded, file-backed FIFO of transaction-related messages.

OCPP 1.6 section 3.7: StartTransaction, StopTransaction and transaction
MeterValues are delivered in chronological order, and queued while the
charge point is offline. This queue keeps them on disk so they also survive
a restart of the charge point software.

The file is JSON lines, one record per line, appended and fsync-ed before
``put``/``done`` return:

    {"op": "put", "seq": 7, "action": "StopTransaction", "payload": {...},
     "tx": "t-3f0c...", "starts": null, "attempts": 0, "id": null}
    {"op": "id", "seq": 7, "id": "5b0e..."}
    {"op": "attempt", "seq": 7, "attempts": 1}
    {"op": "done", "seq": 7, "why": "delivered"}
    {"op": "hold", "seq": 7, "why": "failed 3 times, last: ..."}
    {"op": "txid", "ref": "t-3f0c...", "id": 1234}
    {"op": "forget", "ref": "t-3f0c..."}

A StartTransaction queued while offline has no transactionId yet: the
central system assigns it in StartTransaction.conf. So ``put`` of a
StartTransaction hands out a *transaction reference*; later MeterValues and
StopTransaction name that reference and get the real transactionId written
into their payload when they are sent (``resolve``). References and the ids
learnt for them persist in the file until the StopTransaction of the
transaction leaves the queue.

Unique ids: ``assign_id`` records the unique id a message is sent
under before it goes on the wire, so a message whose answer was lost (to
a dropped connection, or a crash of the charge point) is sent again under
the same id after reconnecting, and the central system can recognise the
repeat (OCPP-J 4.1.4 forbids reusing an id only on the same connection).

Held messages: a message the charge point gives up on (its attempts
failed, or the StartTransaction it depends on was given up) is not
deleted: ``hold`` moves it out of the line into a held list that is kept
in the file too, so the billing data it carries survives. ``held()``
lists them; ``release`` puts them back at the end of the line (fresh
attempts), ``done`` discards one.

Loading replays the records and then compacts: the live state is written to
``<path>.tmp``, fsync-ed and renamed over the file (an atomic replace), so a
record torn by a crash mid-append (no trailing newline, not JSON) is dropped
and never glued to the next append. Compaction also runs whenever the file
holds more dead records than ``compact_after``.

Bounded by ``limit`` messages, live and held together. When full, the oldest MeterValues that
is not at the head (it may be in flight) makes room for a StartTransaction or
StopTransaction or a newer MeterValues: meter samples are the least
valuable of the three. With no MeterValues to drop, ``put`` raises
``TransactionQueueFull``.

Not thread-safe; one process owns the file. File I/O is synchronous (small
appends and an fsync), called from the event loop on purpose: ordering is
then simply call order.
"""

import json
import os
import uuid

from ocppj.errors import QueueFullError, UsageError

TRANSACTION_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")

DEFAULT_LIMIT = 1000
DEFAULT_COMPACT_AFTER = 256


class TransactionQueueFull(QueueFullError):
    """No room for another transaction-related message."""


class QueuedMessage:
    """One live entry. ``payload`` is the wire dict as queued;
    ``transaction`` the reference whose id goes into ``transactionId``;
    ``starts`` the reference a StartTransaction establishes."""

    __slots__ = (
        "seq",
        "action",
        "payload",
        "transaction",
        "starts",
        "attempts",
        "unique_id",
        "held",
    )

    def __init__(
        self,
        seq,
        action,
        payload,
        transaction=None,
        starts=None,
        attempts=0,
        unique_id=None,
        held=None,
    ):
        self.seq = seq
        self.action = action
        self.payload = payload
        self.transaction = transaction
        self.starts = starts
        self.attempts = attempts
        self.unique_id = unique_id  # the id it was last sent under
        self.held = held  # why it was given up, while held

    def __repr__(self):
        return "<QueuedMessage %d %s tx=%s starts=%s attempts=%d>" % (
            self.seq,
            self.action,
            self.transaction,
            self.starts,
            self.attempts,
        )


class TransactionQueue:
    def __init__(self, path=None, limit=DEFAULT_LIMIT, compact_after=DEFAULT_COMPACT_AFTER):
        """``path`` None keeps everything in memory (lost on restart)."""
        if limit < 1:
            raise UsageError("limit must be at least 1")
        self.path = path
        self.limit = limit
        self.compact_after = compact_after
        self._entries = []  # live QueuedMessage, oldest first
        self._held = []  # given-up QueuedMessage, oldest first
        self._ids = {}  # transaction reference -> transactionId or None
        self._next_seq = 1
        self._dead_records = 0
        self.skipped_records = 0  # unreadable lines found while loading
        # Called with each MeterValues dropped to make room (its owner may
        # be waiting for it).
        self.on_evicted = None
        self._file = None
        if path is not None:
            self._load()
            self.compact()

    # ------------------------------------------------------------ reading

    def __len__(self):
        return len(self._entries)

    def __bool__(self):
        return bool(self._entries)

    def peek(self):
        """The oldest live message, or None."""
        if self._entries:
            return self._entries[0]
        return None

    def entries(self):
        return list(self._entries)

    def held(self):
        """Messages given up and kept (``hold``), oldest first."""
        return list(self._held)

    def transaction_id(self, ref):
        """The transactionId the central system gave ``ref``, or None."""
        return self._ids.get(ref)

    def knows(self, ref):
        return ref in self._ids

    def resolve(self, entry):
        """The payload to send for ``entry``: its transactionId filled in
        from its reference. None when the reference has no id (its
        StartTransaction was never accepted): the message cannot be sent."""
        if entry.transaction is None:
            return entry.payload
        transaction_id = self._ids.get(entry.transaction)
        if transaction_id is None:
            return None
        payload = dict(entry.payload)
        payload["transactionId"] = transaction_id
        return payload

    # ------------------------------------------------------------ writing

    def put(self, action, payload, transaction=None):
        """Queue a wire payload; returns its QueuedMessage. A
        StartTransaction gets a fresh reference in ``.starts``; MeterValues
        and StopTransaction may name one in ``transaction``."""
        if action not in TRANSACTION_ACTIONS:
            raise UsageError("%s is not a transaction-related message (OCPP 1.6 3.7)" % action)
        if type(payload) is not dict:
            raise UsageError("queue the wire dict of the payload")
        starts = None
        if action == "StartTransaction":
            if transaction is not None:
                raise UsageError("a StartTransaction starts a transaction; it names none")
            starts = "t-" + uuid.uuid4().hex
        elif transaction is not None and transaction not in self._ids:
            raise UsageError("unknown transaction reference %r" % (transaction,))
        if len(self._entries) + len(self._held) >= self.limit:
            self._make_room()
        if starts is not None and len(self._ids) >= self.limit:
            self._prune_references()
        entry = QueuedMessage(self._next_seq, action, payload, transaction, starts)
        self._next_seq += 1
        self._append([_put_record(entry)])
        self._entries.append(entry)
        if starts is not None:
            self._ids[starts] = None
        return entry

    def _make_room(self):
        # held ones first: they are out of the line already
        for entry in self._held + self._entries[1:]:
            if entry.action == "MeterValues":
                self._remove(entry, "evicted")
                if self.on_evicted is not None:
                    self.on_evicted(entry)
                return
        raise TransactionQueueFull(
            "%d transaction-related messages wait and none is a MeterValues that could make room"
            % len(self._entries)
        )

    def _prune_references(self):
        # References of StartTransactions that were given up and that no
        # queued message names: nothing can ever be sent for them.
        named = {}
        for entry in self._entries + self._held:
            named[entry.transaction] = True
            named[entry.starts] = True
        for ref in list(self._ids):
            if self._ids[ref] is None and ref not in named:
                self.forget(ref)
                if len(self._ids) < self.limit:
                    return
        raise TransactionQueueFull(
            "%d transactions are open or undelivered (limit %d)" % (len(self._ids), self.limit)
        )

    def assign_id(self, entry, unique_id):
        """Record the unique id ``entry`` is about to be sent under (on
        disk before it is sent, so a restart sends it under the same id)."""
        entry.unique_id = unique_id
        self._append([{"op": "id", "seq": entry.seq, "id": unique_id}])
        self._dead_records += 1

    def hold(self, entry, why):
        """Give ``entry`` up without deleting it: out of the line, into the
        held list (see the module doc). A held StartTransaction leaves its
        reference without a transactionId, so its dependents are held in
        turn when they reach the head."""
        if entry not in self._entries:
            raise UsageError("%r is not queued" % (entry,))
        records = [{"op": "hold", "seq": entry.seq, "why": why}]
        if entry.starts is not None:
            records.append({"op": "txid", "ref": entry.starts, "id": None})
        self._append(records)
        self._entries.remove(entry)
        entry.held = why
        self._held.append(entry)
        self._dead_records += len(records)
        if entry.starts is not None:
            self._ids[entry.starts] = None

    def release(self, entries=None):
        """Put held messages (all, or ``entries``) back at the end of the
        line, in their order, with fresh attempts; returns them as queued
        now (new sequence numbers, same payload, references and id)."""
        chosen = self._held if entries is None else [e for e in self._held if e in entries]
        released = []
        for old in list(chosen):
            entry = QueuedMessage(
                self._next_seq,
                old.action,
                old.payload,
                old.transaction,
                old.starts,
                0,
                old.unique_id,
            )
            self._next_seq += 1
            self._append([{"op": "done", "seq": old.seq, "why": "released"}, _put_record(entry)])
            self._held.remove(old)
            self._entries.append(entry)
            self._dead_records += 2
            released.append(entry)
        return released

    def record_attempt(self, entry):
        """Count one failed delivery of ``entry``; returns the new count."""
        entry.attempts += 1
        self._append([{"op": "attempt", "seq": entry.seq, "attempts": entry.attempts}])
        self._dead_records += 1
        return entry.attempts

    def done(self, entry, transaction_id=None, why="delivered"):
        """``entry`` left the queue (delivered, or given up: ``why``). For a
        delivered StartTransaction pass the transactionId the central system
        assigned."""
        self._remove(entry, why, transaction_id)

    def forget(self, ref):
        """Drop a transaction reference (the transaction is over)."""
        if ref in self._ids:
            del self._ids[ref]
            self._append([{"op": "forget", "ref": ref}])
            self._dead_records += 2

    def _remove(self, entry, why, transaction_id=None):
        if entry not in self._entries and entry not in self._held:
            raise UsageError("%r is not queued" % (entry,))
        records = [{"op": "done", "seq": entry.seq, "why": why}]
        if entry.starts is not None:
            if transaction_id is not None and why == "delivered":
                records.append({"op": "txid", "ref": entry.starts, "id": transaction_id})
            else:
                # Never accepted: dependents cannot be sent; resolve() tells.
                records.append({"op": "txid", "ref": entry.starts, "id": None})
        ends_transaction = entry.action == "StopTransaction" and entry.transaction is not None
        if ends_transaction:
            records.append({"op": "forget", "ref": entry.transaction})
        self._append(records)
        if entry.held is not None:
            self._held.remove(entry)
        else:
            self._entries.remove(entry)
        self._dead_records += 2 + len(records)
        if entry.starts is not None:
            self._ids[entry.starts] = transaction_id if why == "delivered" else None
        if ends_transaction:
            self._ids.pop(entry.transaction, None)
        if self.path is not None and self._dead_records > self.compact_after:
            self.compact()

    # ------------------------------------------------------------ the file

    def _append(self, records):
        if self.path is None:
            return
        text = "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records)
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write(text)
        self._file.flush()
        os.fsync(self._file.fileno())

    def _load(self):
        try:
            with open(self.path, "r", encoding="utf-8", errors="replace") as handle:
                lines = handle.read().split("\n")
        except FileNotFoundError:
            return
        entries = {}
        order = []
        last = len(lines) - 1
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                self._replay(record, entries, order)
            except (ValueError, KeyError, TypeError):
                # A torn final line is what a crash mid-append leaves; any
                # other bad line is counted so the owner can be told.
                if number != last:
                    self.skipped_records += 1
        live = [entries[seq] for seq in order if seq in entries]
        self._entries = [entry for entry in live if entry.held is None]
        self._held = [entry for entry in live if entry.held is not None]

    def _replay(self, record, entries, order):
        op = record["op"]
        if op == "put":
            seq = int(record["seq"])
            entry = QueuedMessage(
                seq,
                str(record["action"]),
                dict(record["payload"]),
                record.get("tx"),
                record.get("starts"),
                int(record.get("attempts", 0)),
                record.get("id"),
                record.get("held"),
            )
            entries[seq] = entry
            order.append(seq)
            if entry.starts is not None:
                self._ids.setdefault(entry.starts, None)
            if seq >= self._next_seq:
                self._next_seq = seq + 1
        elif op == "id":
            entry = entries.get(int(record["seq"]))
            if entry is not None:
                entry.unique_id = str(record["id"])
        elif op == "hold":
            entry = entries.get(int(record["seq"]))
            if entry is not None:
                entry.held = str(record["why"])
        elif op == "attempt":
            entry = entries.get(int(record["seq"]))
            if entry is not None:
                entry.attempts = int(record["attempts"])
        elif op == "done":
            entries.pop(int(record["seq"]), None)
        elif op == "txid":
            self._ids[str(record["ref"])] = record["id"]
        elif op == "forget":
            self._ids.pop(str(record["ref"]), None)
        else:
            raise ValueError("unknown op")

    def compact(self):
        """Rewrite the file with only the live state (atomic replace)."""
        if self.path is None:
            return
        if self._file is not None:
            self._file.close()
            self._file = None
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            for ref in sorted(self._ids):
                record = {"op": "txid", "ref": ref, "id": self._ids[ref]}
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            for entry in sorted(self._held + self._entries, key=_by_seq):
                handle.write(json.dumps(_put_record(entry), separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        _fsync_directory(os.path.dirname(os.path.abspath(self.path)))
        self._dead_records = 0

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


def _by_seq(entry):
    return entry.seq


def _put_record(entry):
    record = {
        "op": "put",
        "seq": entry.seq,
        "action": entry.action,
        "payload": entry.payload,
        "tx": entry.transaction,
        "starts": entry.starts,
        "attempts": entry.attempts,
        "id": entry.unique_id,
    }
    if entry.held is not None:
        record["held"] = entry.held
    return record


def _fsync_directory(directory):
    # Makes the rename itself durable; not every platform can open a folder.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
