"""The connection object an asyncio ChargePoint talks through.

``ocppj_aio.charge_point.ChargePoint(id, connection)`` needs only
``await connection.recv()`` and ``await connection.send(text)``. The
server and the client hand it a ``WebSocketLink`` around a ``websockets``
connection, which adds what hooks and applications ask about a connection:
identity, subprotocol, security profile, peer address and certificate,
close code and reason, and when a message last came in.

Reading fairly: ``recv`` hands over already-buffered messages for at most
``READ_SLICE`` (2 ms) before it yields to the event loop. ``websockets`` parses a whole network read
(up to 256 KiB, thousands of small frames) at once, and taking a buffered
message does not wait, so without this one flooding peer's backlog is
served in a single turn while every other connection waits: a field test
measured the healthy charge points' p99 going from 1.2 ms to 422 ms with
one flooder.

One CALL at a time (OCPP-J 4.1.1: a peer SHOULD NOT send a CALL before
its previous ones were answered or timed out). With ``call_burst`` set, a
CALL that was already buffered when our last answer went out (on a
connection made by ``ocppj_aio.flow``, which counts network reads) was
sent without waiting. Up to ``call_burst`` such CALLs in a row are served
in order (real charge points send a few StatusNotifications back to back);
each one beyond is refused with a CALLERROR GenericError without reaching
a handler (``excess_calls="refuse"``), or the connection is closed with
1008 (``"close"``). A CALL that arrives after our answer starts a new run.
``refused_calls`` counts the refusals; the first is logged.
"""

import asyncio
import logging
import time

from ocppj import framing
from websockets.exceptions import ConnectionClosed

from .identity import printable

EXCESS_CALL_POLICIES = ("refuse", "close")

# Seconds a connection may go on handing over already-buffered messages
# before it yields to the event loop. Yielding for every buffered message
# cost a loop turn per message under load (about 40% more server CPU per
# call with 1,000 charge points in a closed loop); a slice keeps the
# fairness a flood needs at next to no cost.
READ_SLICE = 0.002

_LOG = logging.getLogger("ocppj.link")


class NotConnectedError(Exception):
    """No open OCPP-J connection to send a CALL over: the charge point is
    not connected to this central system, or the client is offline."""

    def __init__(self, message, charge_point_id=None):
        super().__init__(message)
        self.charge_point_id = charge_point_id


class WebSocketLink:
    """One WebSocket connection seen by OCPP code.

    ``incoming_filter``: optional ``callable(text) -> bool``; a message it
    returns False for is dropped before the ChargePoint sees it (a client
    uses it to stay silent while its BootNotification is Rejected).
    """

    def __init__(
        self,
        websocket,
        identity,
        security_profile=0,
        path=None,
        peer_certificate=None,
        incoming_filter=None,
        clock=time.monotonic,
        call_burst=None,
        excess_calls="refuse",
    ):
        self.websocket = websocket
        self.identity = identity
        self.security_profile = security_profile
        self.path = path
        self.peer_certificate = peer_certificate
        self.incoming_filter = incoming_filter
        self._clock = clock
        self.opened_at = clock()
        self.last_received = self.opened_at
        self.last_sent = None
        self.received_messages = 0
        self.sent_messages = 0
        self.dropped_messages = 0
        # Heartbeat interval this peer is known to use (the server learns it
        # from its own BootNotification.conf / ChangeConfiguration).
        self.heartbeat_interval = None
        self.closing_code = None
        self.closing_reason = None
        if excess_calls not in EXCESS_CALL_POLICIES:
            raise ValueError("excess_calls is 'refuse' or 'close', not %r" % (excess_calls,))
        self.call_burst = call_burst
        self.excess_calls = excess_calls
        self.refused_calls = 0
        self._early_calls = 0  # CALLs in a row sent without waiting
        self._closing_task = None
        self._reads_at_answer = -1  # network reads when our last answer went out
        # websockets' buffer of received frames, if this version has it
        self._buffered = getattr(getattr(websocket, "recv_messages", None), "frames", None)
        self._turn_began = 0.0  # when this connection's run of buffered messages began

    # --------------------------------------------------------- the pump API

    async def recv(self):
        """The next text message; raises ``websockets`` ConnectionClosed
        once the connection is closed."""
        while True:
            early = False
            buffered = self._buffered
            waits = buffered is None or not len(buffered)
            if not waits:
                # Sent before our last answer went out if no network read
                # came in since.
                early = getattr(self.websocket, "reads", None) == self._reads_at_answer
                if time.monotonic() - self._turn_began >= READ_SLICE:
                    # this connection has had its turn: the others now
                    await asyncio.sleep(0)
                    self._turn_began = time.monotonic()
            message = await self.websocket.recv()
            if waits:
                self._turn_began = time.monotonic()
            if getattr(self.websocket, "drop_reason", None) is not None:
                # dropped (ocppj_aio.flow): what is still buffered would be
                # handled and answered into the void
                raise ConnectionClosed(None, None)
            if self.call_burst is not None:
                if self._closing_task is not None:
                    continue  # closing for excess CALLs: dropped
                if not early:
                    self._early_calls = 0  # arrived after our answer: a new run
                elif await self._refused(message):
                    continue
            self.last_received = self._clock()
            self.received_messages += 1
            if self.incoming_filter is not None and not self.incoming_filter(message):
                self.dropped_messages += 1
                continue
            return message

    async def send(self, text):
        if self.call_burst is not None and text[1:2] != "2":
            # an answer (our CALLs do not make the peer's next CALL early)
            self._reads_at_answer = getattr(self.websocket, "reads", None)
        try:
            await self.websocket.send(text)
        except ConnectionClosed as closed:
            raise NotConnectedError(
                "connection of %s is closed" % self.identity, self.identity
            ) from closed
        self.last_sent = self._clock()
        self.sent_messages += 1

    async def _refused(self, message):
        """Apply the one-CALL-at-a-time rule to ``message``, which was
        sent without waiting for our last answer; True when it was
        refused (and must not be handed on)."""
        message_type, unique_id = (
            framing.peek(message) if isinstance(message, str) else (None, None)
        )
        if message_type != framing.CALL:
            return False
        self._early_calls += 1
        if self._early_calls <= self.call_burst:
            return False
        reason = (
            "more than %d CALLs sent without waiting for the answers (OCPP-J 4.1.1)"
            % self.call_burst
        )
        if self.refused_calls == 0:
            _LOG.warning(
                "%s: %s; %s",
                printable(self.identity),
                reason,
                "refusing the excess" if self.excess_calls == "refuse" else "closing",
            )
        self.refused_calls += 1
        if self.excess_calls == "close":
            # Closing waits for the peer's close frame, which sits behind
            # the buffered flood: read on (and drop) until it arrives.
            self._closing_task = asyncio.ensure_future(self.close(1008, reason))
            return True
        if unique_id is None:
            return False  # no id to answer under: the core refuses the frame
        await self.send(
            framing.error_text(
                unique_id,
                "GenericError",
                "refused: sent before the answer to the previous CALL; "
                "one CALL at a time (OCPP-J 4.1.1)",
                {},
            )
        )
        return True

    # --------------------------------------------------------- facts

    @property
    def subprotocol(self):
        return self.websocket.subprotocol

    @property
    def remote_address(self):
        return self.websocket.remote_address

    @property
    def request_headers(self):
        request = getattr(self.websocket, "request", None)
        if request is None:
            return None
        return request.headers

    @property
    def open(self):
        return self.websocket.close_code is None and self.closing_code is None

    @property
    def close_code(self):
        """The close code once closed (ours if we closed first), else None."""
        if self.websocket.close_code is not None:
            return self.websocket.close_code
        return self.closing_code

    @property
    def close_reason(self):
        dropped = getattr(self.websocket, "drop_reason", None)
        if dropped is not None:
            return dropped
        if self.websocket.close_reason is not None:
            return self.websocket.close_reason
        return self.closing_reason

    def idle_for(self):
        """Seconds since the last message arrived (or since opening)."""
        return self._clock() - self.last_received

    async def close(self, code=1000, reason=""):
        if self.closing_code is None:
            self.closing_code = code
            self.closing_reason = reason
        await self.websocket.close(code, reason)

    async def wait_closed(self):
        await self.websocket.wait_closed()

    def __repr__(self):
        return "<WebSocketLink %s profile=%d %s>" % (
            self.identity,
            self.security_profile,
            "open" if self.open else "closed %s" % (self.close_code,),
        )
