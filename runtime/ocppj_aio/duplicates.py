"""Duplicate detection for transaction messages (CPython only).

Transaction messages are delivered at least once (OCPP 1.6 section 3.7):
when the answer to a StartTransaction is lost (the connection dropped, the
charge point crashed), the charge point sends it again, and a central
system that processes it twice opens a second transaction for one charge.
``CentralSystem(duplicates=DuplicateDetector())`` answers a repeat of a
StartTransaction, StopTransaction or MeterValues as the first one was
answered, without calling the handler again.

A repeat is a CALL of the same charge point with the same action and the
same payload (compared as canonical JSON) as one answered before:

* ``match="content"`` (default): whatever its unique id. Charge points
  resend under a new id as often as under the old one; two genuinely
  different transaction messages with equal payloads would need the same
  timestamps, meter readings, connector and idTag (or transactionId).
  The one case to know: a charge point without a clock that sends a fixed
  timestamp and a meter that does not count could start two transactions
  that look alike.
* ``match="id"``: only under the same unique id too (``ocppj_aio.client``
  resends under the original id after a reconnect).

Memory: the last ``per_charge_point`` answered messages (16) per charge
point, for at most ``charge_points`` charge points (the least recently
active forgotten first); per message a 32-byte digest and the response
object. In memory only: a restart of the central system forgets them, and
so does every process of a cluster apart from the one that answered; give
a subclass with ``replay``/``record`` over a shared store for that.

In flight: a repeat that arrives while the first is still being handled
waits for the first's answer and gets the same (or, when the first ended
in a CALLERROR, is handled itself). With detection on, the handler of a
transaction message is not cancelled when its connection drops: it runs
to the end and its answer is remembered for the repeat that follows the
reconnect (the case of a charge point killed while its StartTransaction
was being handled).

``repeats`` counts the repeats answered from memory (``by_id`` of them
under the original unique id).
"""

import asyncio
import collections
import hashlib
import json

TRANSACTION_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")
MATCHES = ("content", "id")


class DuplicateDetector:
    def __init__(
        self,
        per_charge_point=16,
        charge_points=100000,
        match="content",
        actions=TRANSACTION_ACTIONS,
    ):
        if match not in MATCHES:
            raise ValueError("match is 'content' or 'id', not %r" % (match,))
        if per_charge_point < 1 or charge_points < 1:
            raise ValueError("per_charge_point and charge_points are at least 1")
        self.per_charge_point = per_charge_point
        self.charge_points = charge_points
        self.match = match
        self.actions = tuple(actions)
        # identity -> OrderedDict(key -> (unique id, response)), least recent first
        self._memory = collections.OrderedDict()
        self._in_flight = {}  # (identity, key) -> Future of the first's response
        self.repeats = 0
        self.by_id = 0

    def _key(self, event):
        text = json.dumps(event.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        if self.match == "id":
            return (event.action, event.unique_id, digest)
        return (event.action, digest)

    def replay(self, identity, event):
        """The response the first of these was answered with, or None."""
        if event.action not in self.actions:
            return None
        answered = self._memory.get(identity)
        if answered is None:
            return None
        found = answered.get(self._key(event))
        if found is None:
            return None
        self.repeats += 1
        if found[0] == event.unique_id:
            self.by_id += 1
        return found[1]

    def begin(self, identity, event):
        """Called before a CALL is handled: None when it is new (it is then
        in flight until ``settle``/``abandon``); else the response to
        answer it with, or a Future of it while the first is in flight."""
        if event.action not in self.actions:
            return None
        found = self.replay(identity, event)
        if found is not None:
            return found
        key = (identity, self._key(event))
        first = self._in_flight.get(key)
        if first is not None:
            self.repeats += 1
            return first
        self._in_flight[key] = asyncio.get_running_loop().create_future()
        return None

    def settle(self, identity, event, response):
        """The first is answered: ``response``, or None when it was not
        answered with a CALLRESULT (a repeat waiting for it is then
        handled itself)."""
        if event.action not in self.actions:
            return
        if response is not None:
            self.record(identity, event, response)
        first = self._in_flight.pop((identity, self._key(event)), None)
        if first is not None and not first.done():
            first.set_result(response)

    def record(self, identity, event, response):
        """Remember the answer to ``event`` (a CALL just answered)."""
        if event.action not in self.actions:
            return
        memory = self._memory
        answered = memory.pop(identity, None)
        if answered is None:
            answered = collections.OrderedDict()
            while len(memory) >= self.charge_points:
                memory.popitem(last=False)
        memory[identity] = answered  # most recently active last
        key = self._key(event)
        answered.pop(key, None)
        answered[key] = (event.unique_id, response)
        while len(answered) > self.per_charge_point:
            answered.popitem(last=False)

    def forget(self, identity):
        self._memory.pop(identity, None)


class Replayer:
    """What a ChargePoint holds (``replayer``): the detector bound to the
    identity of its connection, and the protocol to check a response
    that could not be sent (the connection dropped) before keeping it."""

    __slots__ = ("detector", "identity", "protocol")

    def __init__(self, detector, identity, protocol):
        self.detector = detector
        self.identity = identity
        self.protocol = protocol

    def begin(self, event):
        return self.detector.begin(self.identity, event)

    def keeps(self, event):
        """Whether the handler of ``event`` runs on after a disconnect."""
        return event.action in self.detector.actions

    def settle(self, event, response, answered):
        """``answered``: the response went out as a CALLRESULT; else it is
        kept only if it is a valid response of the action (the connection
        may have dropped while the handler ran)."""
        if response is not None and not answered and not self._valid(event, response):
            response = None
        self.detector.settle(self.identity, event, response)

    def abandon(self, event):
        self.detector.settle(self.identity, event, None)

    def _valid(self, event, response):
        protocol = self.protocol
        try:
            if protocol.action_of(response) != event.action or protocol.is_request(response):
                return False
            protocol.validate_response(event.action, protocol.encode(response))
        except Exception:
            return False
        return True
