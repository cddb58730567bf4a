"""The connection object an asyncio ChargePoint talks through.

``ocppj_aio.charge_point.ChargePoint(id, connection)`` needs only
``await connection.recv()`` and ``await connection.send(text)``. The
server and the client hand it a ``WebSocketLink`` around a ``websockets``
connection, which adds what hooks and applications ask about a connection:
identity, subprotocol, security profile, peer address and certificate,
close code and reason, and when a message last came in.
"""

import time

from websockets.exceptions import ConnectionClosed


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

    # --------------------------------------------------------- the pump API

    async def recv(self):
        """The next text message; raises ``websockets`` ConnectionClosed
        once the connection is closed."""
        while True:
            message = await self.websocket.recv()
            self.last_received = self._clock()
            self.received_messages += 1
            if self.incoming_filter is not None and not self.incoming_filter(message):
                self.dropped_messages += 1
                continue
            return message

    async def send(self, text):
        try:
            await self.websocket.send(text)
        except ConnectionClosed as closed:
            raise NotConnectedError(
                "connection of %s is closed" % self.identity, self.identity
            ) from closed
        self.last_sent = self._clock()
        self.sent_messages += 1

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
