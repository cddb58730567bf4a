"""Flow control for OCPP-J connections over ``websockets`` (CPython only).

What ``websockets`` leaves to the application, done once for the central
system and the client: its connection classes, extended here and handed
to ``serve``/``connect`` as ``create_connection``.

A peer that stops reading. Sending waits while more than the write
buffer's high-water mark (``write_limit``, 32 KiB) is queued behind the
kernel's socket buffer, and nothing in ``websockets`` bounds that wait:
the keepalive ping queues behind the full buffer too, so its timeout
never starts. A field test found a flooding charge point that stopped
reading still ESTABLISHED after 150 s with 4.1 MB stuck. Here:

* ``write_timeout``: once sending is paused (the buffer is over the
  high-water mark), the connection is dropped unless the buffer drains
  below the low-water mark within this many seconds. The central system
  and the client default it to their ``ping_timeout``: a peer that reads
  nothing for that long would have failed a ping too.
* ``max_outgoing_bytes``: a connection whose write buffer (what the
  process holds for it, on top of the kernel's socket buffer) grows
  beyond this is dropped at once. Each sender waits for the buffer to
  drain, so it holds at most the high-water mark plus one frame per
  task sending at the same time; the cap bounds what many such tasks
  (pushes from the application, handler tasks, pings) can pile up.

Dropping aborts the TCP connection (the peer reads nothing, so a close
frame could not reach it): the close code is 1006, ``drop_reason`` says
why, and the drop is logged once at WARNING on ``ocppj.flow``.

Reading: at most ``READ_CHUNK`` (16 KiB) per network read, so that one
read of a flooding peer is parsed in a few milliseconds, not tens.

``reads`` counts the chunks read from the network; the link uses it to
tell a CALL that was already buffered when our last answer went out (the
peer did not wait for it, OCPP-J 4.1.1) from one that came after.
"""

import logging

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection

from .identity import printable

# Per connection; four times the default largest message (1 MiB).
DEFAULT_MAX_OUTGOING_BYTES = 4 * 2**20

# Bytes asyncio reads from a socket at once (its default is 256 KiB).
# websockets parses all frames of a read in one go, before any other
# connection gets a turn: 256 KiB of small CALLs is some 4,000 frames,
# tens of milliseconds of parsing. 16 KiB keeps that under a few.
READ_CHUNK = 16 * 1024

_LOG = logging.getLogger("ocppj.flow")


class FlowGuard:
    """Mixed into a ``websockets`` connection class (see the module doc)."""

    write_timeout = None
    max_outgoing_bytes = None
    reads = 0
    drop_reason = None
    _stall_timer = None

    def guard(self, write_timeout=None, max_outgoing_bytes=None):
        """Set the limits (seconds, bytes; None for no limit)."""
        self.write_timeout = write_timeout
        self.max_outgoing_bytes = max_outgoing_bytes
        return self

    # ------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport):
        super().connection_made(transport)
        if isinstance(getattr(transport, "max_size", None), int):
            transport.max_size = READ_CHUNK  # plain TCP (TLS reads its own way)

    def data_received(self, data):
        self.reads += 1
        super().data_received(data)

    def pause_writing(self):
        super().pause_writing()
        if self.write_timeout is not None and self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.write_timeout, self._write_stalled)

    def resume_writing(self):
        super().resume_writing()
        self._cancel_stall_timer()

    def connection_lost(self, exc):
        self._cancel_stall_timer()
        super().connection_lost(exc)

    # ------------------------------------------------------------ websockets

    def send_data(self):
        super().send_data()
        # Below the high-water mark the buffer is under any sensible cap:
        # only a paused connection needs measuring.
        if self.paused and self.max_outgoing_bytes is not None:
            waiting = self.transport.get_write_buffer_size()
            if waiting > self.max_outgoing_bytes:
                self.drop(
                    "%d bytes wait to be sent, more than max_outgoing_bytes (%d):"
                    " the peer does not read" % (waiting, self.max_outgoing_bytes)
                )

    # ------------------------------------------------------------ dropping

    def _write_stalled(self):
        self._stall_timer = None
        self.drop(
            "nothing could be sent for %g s (write timeout): the peer does not read"
            % self.write_timeout
        )

    def _cancel_stall_timer(self):
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def drop(self, reason):
        """Abort the connection now, saying why (logged once)."""
        if self.drop_reason is None:
            self.drop_reason = reason
            _LOG.warning("dropping the connection of %s: %s", _peer_name(self), reason)
        self._cancel_stall_timer()
        self.transport.abort()


def _peer_name(connection):
    request = getattr(connection, "request", None)
    path = getattr(request, "path", None) if request is not None else None
    try:
        address = connection.remote_address
    except Exception:
        address = None
    where = "%s:%s" % (address[0], address[1]) if address else "?"
    if path:
        return "%s (%s)" % (printable(path), where)
    return where


class GuardedServerConnection(FlowGuard, ServerConnection):
    """A central system's connection with the limits above."""


class GuardedClientConnection(FlowGuard, ClientConnection):
    """A charge point's connection with the limits above."""


def connection_factory(cls, write_timeout, max_outgoing_bytes):
    """The ``create_connection`` callable for ``serve``/``connect``."""

    def create(*args, **kwargs):
        return cls(*args, **kwargs).guard(write_timeout, max_outgoing_bytes)

    return create
