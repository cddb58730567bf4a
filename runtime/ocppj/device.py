"""A blocking pump for MicroPython devices (QuecPython): one thread, no asyncio.

The API the QuecPython port's users know, over the shared ChargePoint facade:

    from usr.ocpp16 import protocol
    from usr.ocppj.device import ChargePoint
    from usr.ocppj.routing import on

    class MyChargePoint(ChargePoint):
        @on("Reset")
        def on_reset(self, type, **kwargs):
            return self._call_result.ResetPayload(status="Accepted")

    cp = MyChargePoint("CP-1", connection, response_timeout=30, protocol=protocol)
    response = cp.call(cp._call.BootNotificationPayload(
        charge_point_vendor="Quectel", charge_point_model="EC200U"))
    cp.start()  # serve the central system's CALLs until the connection ends

`connection` is the application's WebSocket client: `send(text)` sends one
text message; `recv()` returns the next text message, or None (or "") when
nothing arrived within the connection's own read timeout, and raises when
the connection is gone. A short read timeout (a second or so) is what lets
response timeouts fire while the line is quiet; a recv() that blocks
forever delays them until the next message.

While `call` waits for its answer it keeps serving: CALLs the central
system sends meanwhile are answered by their handlers, as OCPP-J allows.
"""

from . import charge_point, errors


class ChargePoint(charge_point.ChargePoint):
    """ChargePoint(id, connection, response_timeout=30, protocol=...) with a
    blocking `start()` and `call()`."""

    def receive_once(self):
        """Reads at most one message, routes it, then runs due timers.

        Returns False once the session is closed, True otherwise.
        """
        if self._session.closed:
            return False
        text = self._connection.recv()
        now = self._now()
        if text:
            if isinstance(text, bytes):
                text = text.decode()
            self.route_message(text, now)
        deadline = self._session.next_deadline()
        if deadline is not None and now >= deadline:
            self.handle_timer(now)
        return not self._session.closed

    def start(self):
        """Serves incoming messages until the connection or the session ends.

        The exception recv() raises when the connection is gone ends the
        session (pending CALLs are cancelled) and is raised again.
        """
        try:
            while self.receive_once():
                pass
        except Exception:
            self.close()
            raise

    def call(self, payload, suppress=True, unique_id=None):
        """Sends a CALL and blocks until its answer (or timeout) arrives.

        Returns the typed response; None for a CallError when `suppress`
        (else raises it). Raises CallTimeoutError when no answer came within
        `response_timeout`, CallCancelledError when the session closed.
        """
        unique_id = self._submit_call(payload, unique_id=unique_id)
        while True:
            event = self.take_outcome(unique_id)
            if event is not None:
                return self.outcome(event, suppress)
            if self._session.closed:
                raise errors.CallCancelledError(unique_id, self.protocol.action_of(payload))
            try:
                self.receive_once()
            except Exception:
                self.close()
                raise
