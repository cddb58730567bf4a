"""An OCPP-J 1.6 charge point over asyncio ``websockets`` (CPython only).

    from ocpp16 import call, protocol
    from ocppj_aio.client import ChargePointClient

    client = ChargePointClient(
        "ws://127.0.0.1:9000/ocpp", "CP-1",
        protocol=protocol,
        boot_notification=call.BootNotification(
            charge_point_vendor="Acme", charge_point_model="One"),
        security_profile=1, password="0123456789abcdef",
        queue="/var/lib/cp/transactions.jsonl",
    )
    async with client:                       # connects in the background
        await client.wait_accepted()
        await client.call(call.StatusNotification(...))
        start = client.enqueue(call.StartTransaction(...))
        ...
        client.enqueue(call.StopTransaction(..., transaction_id=0),
                       transaction=start.transaction)

Connection: the connection URL is ``url`` + "/" + percent-encoded
``identity`` (OCPP-J 1.6 3.1.1); without ``identity`` the last segment of
``url`` is the identity. The client offers ``ocpp1.6`` and closes (1002)
a connection on which the server did not select it (OCPP-J 3.2).
Security profiles as in ``ocppj_aio.security``: 0 and 1 over ``ws://``,
2 and 3 over ``wss://``; 1 and 2 send HTTP Basic (identity, ``password``);
3 presents the certificate loaded in ``ssl_context``
(``security.client_ssl_context(cafile, certfile, keyfile)``). A URL scheme
that does not fit the profile is a UsageError (whitepaper A00.FR.001-003).

Reconnects with exponential backoff: attempt n waits ``min(reconnect_max_delay,
reconnect_delay * reconnect_factor ** (n - 1))`` shortened by a random share
of up to ``reconnect_jitter`` (so many charge points restarting together
spread out). OCPP-J errata 3.3 asks for a back-off after HTTP 404 too; every
refusal is treated alike. ``last_error`` holds the exception of the last
failed attempt (``connection_errors.explain(exc, url)`` says it in one
line; each failure is logged at INFO on ``ocppj.client``).

Giving up: ``max_reconnects=None`` (the default) retries forever. With a
number n, the client gives up once n + 1 attempts in a row failed (0: after
the first failure): state ``failed``, ``failure`` holds a
``ConnectionFailed`` (``.last_error`` the cause), ``wait_accepted()`` and
``run()`` raise it, and so does leaving ``async with`` when its body raised
nothing else. ``call()`` raises NotConnectedError naming the cause.

Registration (OCPP 1.6 4.2): the first thing sent on a connection is
``boot_notification``. Accepted: ``heartbeat_interval`` is taken from the
answer and the charge point is ``accepted``. Pending: CALLs of the central
system are answered, nothing else is sent (``call(...,
allow_pending=True)`` is the way to send what a TriggerMessage asked for,
``trigger_boot()`` re-sends the BootNotification at once); after
``interval`` seconds (``boot_retry_interval`` when it is 0) the
BootNotification is sent again. Rejected: the same wait, and CALLs from
the central system are dropped unanswered. The wait holds across a
reconnect (a central system may hang up on a rejected charge point). A CALLERROR or no answer also
retries after ``boot_retry_interval``. On a reconnect after having been
Accepted no new BootNotification is sent unless ``boot_notification``
changed (OCPP-J 5.4) or ``boot_on_reconnect``.

A central system that stops reading is dropped (and reconnected to) once
nothing could be sent for ``write_timeout`` s (default: ``ping_timeout``)
or more than ``max_outgoing_bytes`` wait for it (``ocppj_aio.flow``).

Heartbeat.req every ``heartbeat_interval`` seconds without another request
in between (OCPP 1.6 4.6); ``heartbeats=False`` or an interval <= 0 turns
them off.

Transaction-related messages (OCPP 1.6 3.7) go through ``enqueue``: they
are written to ``queue`` (a ``TransactionQueue``, or a file path for one)
and delivered in order while accepted, also across reconnects and
restarts. A CALLERROR, an unusable answer or no answer is a failure to
process: the message is re-sent after ``transaction_message_retry_interval
* n`` seconds (n = transmissions so far) until it failed
``transaction_message_attempts`` times. Losing the connection is not a
failure: the message is re-sent after reconnecting, under the unique id it
was last sent under (recorded in the queue before sending; OCPP-J 4.1.4
only forbids reusing an id on the same connection), so the central system
can recognise a repeat whose first answer was lost; on the same
connection a retry gets a new id.

Nothing queued is deleted silently. A message given up (its attempts
failed, it cannot be decoded, or it depends on a StartTransaction that was
given up, so it has no transactionId) is held: kept in the queue file out
of the line, its ``Delivery`` fails with ``DeliveryFailed`` (``held``
True), and ``on_undelivered(message, reason)`` is called (sync or async)
with the ``QueuedMessage`` (``action``, ``payload``, ``transaction``). The
application can read ``held_messages()``, put them back in line with
``release_held()`` (a StartTransaction together with its dependents) or
delete one with ``discard_held()``. A MeterValues evicted from a full
queue is the one loss by design; it is reported the same way. Other messages may be
sent with ``call`` while the queue still holds some (3.7); a
StartTransaction, StopTransaction or MeterValues with a transactionId sent
with ``call`` while the queue is not empty is a UsageError, since it would
overtake older ones.

``charge_point_factory(identity, link)`` makes the per-connection
ChargePoint whose ``@on`` handlers answer the central system's CALLs
(Reset, RemoteStartTransaction, TriggerMessage, ...); a ChargePoint
subclass is called as ``cls(identity, link, protocol=protocol,
role="ChargePoint", **charge_point_options)``. Hooks: ``on_connect(cp,
link)``, ``on_disconnect(cp, link)``, ``on_state_change(old, new)``
(sync or async).
"""

import asyncio
import inspect
import logging
import random
import time
import urllib.parse
import uuid

from ocppj import framing
from ocppj.errors import (
    CallCancelledError,
    CallTimeoutError,
    OCPPError,
    OutgoingValidationError,
    SessionClosedError,
    UsageError,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from . import flow, security
from .charge_point import ChargePoint
from .connection_errors import explain
from .identity import identity_problem, printable
from .link import NotConnectedError, WebSocketLink
from .queue import TRANSACTION_ACTIONS, TransactionQueue

__all__ = [
    "ChargePointClient",
    "ConnectionFailed",
    "DeliveryFailed",
    "Delivery",
    "NotAcceptedError",
    "NotConnectedError",
    "STATES",
]

_LOG = logging.getLogger("ocppj.client")

STATES = (
    "offline",
    "connecting",
    "booting",
    "pending",
    "rejected",
    "accepted",
    "failed",  # gave up after max_reconnects (see ``failure``); stays after close()
    "closed",  # close() was called
)

# States in which wait_accepted() stops waiting.
_SETTLED = ("accepted", "failed", "closed")


class NotAcceptedError(NotConnectedError):
    """Connected, but the central system has not Accepted the
    BootNotification: OCPP 1.6 4.2 forbids sending requests now."""


class ConnectionFailed(Exception):
    """The client gave up: ``max_reconnects`` + 1 connection attempts in a
    row failed. ``last_error`` is the exception of the last attempt; the
    message says why in words (``connection_errors.explain``)."""

    def __init__(self, message, last_error=None):
        super().__init__(message)
        self.last_error = last_error


class DeliveryFailed(Exception):
    """A queued transaction-related message was given up (``reason``);
    ``held``: it is kept in the queue's held list (see the module doc)."""

    def __init__(self, action, reason, held=False):
        super().__init__("%s %s: %s" % (action, "held" if held else "dropped", reason))
        self.action = action
        self.reason = reason
        self.held = held


class Delivery:
    """Handle of one ``enqueue``. ``transaction`` is the reference a
    StartTransaction establishes (pass it to later ``enqueue`` calls);
    ``await delivery`` gives the typed response once delivered, or raises
    DeliveryFailed. Only this process can wait: after a restart the
    message is still delivered, but nobody waits for it."""

    def __init__(self, entry, future):
        self.entry = entry
        self.action = entry.action
        self.transaction = entry.starts if entry.starts is not None else entry.transaction
        self._future = future

    def done(self):
        return self._future.done()

    def __await__(self):
        return asyncio.shield(self._future).__await__()


def _value(enum_or_str):
    return getattr(enum_or_str, "value", enum_or_str)


async def _maybe_await(value):
    if inspect.isawaitable(value):
        return await value
    return value


def _quiet(future):
    # A Delivery nobody awaited must not log "exception never retrieved".
    if not future.cancelled():
        future.exception()


class ChargePointClient:
    def __init__(
        self,
        url,
        identity=None,
        *,
        protocol,
        boot_notification,
        charge_point_factory=ChargePoint,
        security_profile=None,
        password=None,
        ssl_context=None,
        subprotocols=None,
        reconnect_delay=1.0,
        reconnect_max_delay=60.0,
        reconnect_factor=2.0,
        reconnect_jitter=0.5,
        max_reconnects=None,
        queue=None,
        transaction_message_attempts=3,
        transaction_message_retry_interval=60,
        boot_retry_interval=60,
        boot_on_reconnect=False,
        heartbeats=True,
        ping_interval=20,
        ping_timeout=20,
        write_timeout=None,
        max_outgoing_bytes=flow.DEFAULT_MAX_OUTGOING_BYTES,
        open_timeout=10,
        close_timeout=10,
        max_message_size=2**20,
        compression=None,
        on_connect=None,
        on_disconnect=None,
        on_state_change=None,
        on_undelivered=None,
        rng=None,
        **charge_point_options,
    ):
        if identity is None:
            path = urllib.parse.urlsplit(url).path.rstrip("/")
            identity = urllib.parse.unquote(path.rsplit("/", 1)[-1])
            self.url = url
        else:
            self.url = url.rstrip("/") + "/" + urllib.parse.quote(identity, safe="")
        if not identity:
            raise UsageError(
                "%s ends with no charge point identity: pass identity= or end the URL"
                " with it (ws://host:port/CP-1)" % url
            )
        problem = identity_problem(identity)
        if problem is not None:
            raise UsageError("%s: %s" % (problem, printable(identity)))
        self.identity = identity
        secure = self.url.lower().startswith("wss://")
        if not secure and not self.url.lower().startswith("ws://"):
            raise UsageError("the connection URL must be ws:// or wss://, not %r" % url)
        if security_profile is None:
            if secure:
                security_profile = 2 if password is not None else 3
            else:
                security_profile = 1 if password is not None else 0
        self.security_profile = security.check_profile(security_profile)
        if security.uses_tls(security_profile) != secure:
            raise UsageError(
                "security profile %d needs a %s URL"
                % (security_profile, "wss://" if not secure else "ws://")
            )
        if security.uses_basic_auth(security_profile) and password is None:
            raise UsageError("security profile %d needs a password" % security_profile)
        if security_profile == 3 and ssl_context is None:
            raise UsageError(
                "security profile 3 needs an ssl_context holding the client certificate"
            )
        if transaction_message_attempts < 1:
            raise UsageError("transaction_message_attempts must be at least 1")
        self.protocol = protocol
        _check_request(protocol, "BootNotification", boot_notification)
        self.boot_notification = boot_notification
        self.charge_point_factory = charge_point_factory
        self.charge_point_options = charge_point_options
        self.password = password
        self.ssl_context = ssl_context
        if subprotocols is None:
            subprotocols = (protocol.SUBPROTOCOL,)
        self.subprotocols = tuple(subprotocols)
        self.reconnect_delay = reconnect_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.reconnect_factor = reconnect_factor
        self.reconnect_jitter = reconnect_jitter
        self.max_reconnects = max_reconnects
        if queue is None or isinstance(queue, str):
            queue = TransactionQueue(queue)
        self.queue = queue
        queue.on_evicted = self._evicted
        self.transaction_message_attempts = transaction_message_attempts
        self.transaction_message_retry_interval = transaction_message_retry_interval
        self.boot_retry_interval = boot_retry_interval
        self.boot_on_reconnect = boot_on_reconnect
        self.heartbeats = heartbeats
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.write_timeout = ping_timeout if write_timeout is None else write_timeout
        self.max_outgoing_bytes = max_outgoing_bytes
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        self.max_message_size = max_message_size
        self.compression = compression
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._on_state_change = on_state_change
        self._on_undelivered = on_undelivered
        self._rng = rng if rng is not None else random.Random()

        self.state = "offline"
        self.charge_point = None
        self.link = None
        self.registration = None  # last BootNotification.conf
        self.last_error = None  # exception of the last failed attempt
        self.failure = None  # the ConnectionFailed once the client gave up
        self.connections = 0  # successful WebSocket upgrades
        self.failed_attempts = 0  # failed attempts since the last success
        self.reconnect_delays = []  # every backoff delay slept, newest last (bounded)
        self._heartbeat_interval = None
        self._accepted_boot = None  # wire BootNotification last Accepted
        self._registered = False  # this connection got a BootNotification answer
        self._next_boot_at = 0.0  # monotonic time before which no BootNotification
        self._waiting_state = "booting"  # state while waiting for _next_boot_at
        self._last_request = 0.0
        self._stopping = False
        self._task = None
        self._waiters = {}  # queue seq -> future of a Delivery
        self._sent_on = {}  # queue seq -> connection number it was last sent on
        self._settled = asyncio.Event()  # state is one of _SETTLED
        self._queue_ready = asyncio.Event()
        self._interval_changed = asyncio.Event()
        self._boot_now = asyncio.Event()
        self._stop = asyncio.Event()
        if self.queue:
            self._queue_ready.set()

    # ------------------------------------------------------------ state

    def _set_state(self, state):
        old = self.state
        if state == old:
            return
        self.state = state
        if state in _SETTLED:
            self._settled.set()
        else:
            self._settled.clear()
        _LOG.info("%s: %s -> %s", self.identity, old, state)
        if self._on_state_change is not None:
            try:
                result = self._on_state_change(old, state)
                if inspect.isawaitable(result):
                    asyncio.ensure_future(result)
            except Exception:
                _LOG.exception("on_state_change hook failed")

    @property
    def accepted(self):
        return self.state == "accepted"

    @property
    def heartbeat_interval(self):
        """Seconds between heartbeats (from BootNotification.conf), or None."""
        return self._heartbeat_interval

    @heartbeat_interval.setter
    def heartbeat_interval(self, seconds):
        # e.g. from a ChangeConfiguration(HeartbeatInterval) handler
        self._heartbeat_interval = seconds
        self._interval_changed.set()

    async def wait_accepted(self, timeout=None):
        """Wait until the central system Accepted us. Raises
        ``ConnectionFailed`` once the client gave up (``max_reconnects``),
        NotConnectedError once it was closed, asyncio.TimeoutError after
        ``timeout`` seconds."""
        await asyncio.wait_for(self._settled.wait(), timeout)
        if self.state == "accepted":
            return
        if self.failure is not None:
            raise self.failure
        raise NotConnectedError("%s is closed" % self.identity, self.identity)

    def trigger_boot(self):
        """Send the BootNotification again now (TriggerMessage while Pending)."""
        self._boot_now.set()

    # ------------------------------------------------------------ lifecycle

    async def start(self):
        """Run the connection loop in a background task; returns self."""
        if self._task is None:
            self._task = asyncio.create_task(self.run())
        return self

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, exc_type, exc, traceback):
        await self.close()
        if exc_type is None and self.failure is not None:
            raise self.failure

    async def close(self):
        """Stop: close the connection (1000), stop reconnecting; state
        ``closed`` (``failed`` stays). Queued messages stay in the queue
        file. Never raises: a failure of the connection loop stays in
        ``failure``."""
        self._stopping = True
        self._stop.set()
        link = self.link
        if link is not None and link.open:
            try:
                await link.close(1000, "charge point stopping")
            except Exception:
                pass
        task = self._task
        if task is not None and task is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(task), self.close_timeout + 1)
            except asyncio.TimeoutError:
                task.cancel()
            except Exception:
                pass
        if self.failure is None:
            self._set_state("closed")  # else it stays "failed": the reason it stopped
        self.queue.close()

    def backoff_delay(self, attempt):
        """Delay before reconnect attempt number ``attempt`` (1-based)."""
        delay = self.reconnect_delay * self.reconnect_factor ** max(0, attempt - 1)
        delay = min(self.reconnect_max_delay, delay)
        return delay * (1.0 - self.reconnect_jitter * self._rng.random())

    async def run(self):
        """Connect, serve, reconnect until ``close()``; raises
        ``ConnectionFailed`` when it gives up (``max_reconnects``)."""
        try:
            await self._connect_loop()
        except ConnectionFailed as failed:
            self.failure = failed
            self._set_state("failed")
            raise
        except Exception as exc:
            # a bug, not the network: still nobody may wait forever
            _LOG.exception("%s: the connection loop failed", self.identity)
            self.failure = ConnectionFailed("the connection loop failed: %r" % (exc,), exc)
            self._set_state("failed")
            raise self.failure from exc

    async def _connect_loop(self):
        while not self._stopping:
            self._set_state("connecting")
            try:
                websocket = await connect(
                    self.url,
                    subprotocols=list(self.subprotocols),
                    additional_headers=self._headers(),
                    ssl=self.ssl_context,
                    compression=self.compression,
                    open_timeout=self.open_timeout,
                    ping_interval=self.ping_interval,
                    ping_timeout=self.ping_timeout,
                    close_timeout=self.close_timeout,
                    max_size=self.max_message_size,
                    user_agent_header=None,
                    create_connection=flow.connection_factory(
                        flow.GuardedClientConnection, self.write_timeout, self.max_outgoing_bytes
                    ),
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = exc
                _LOG.info("%s: connecting failed: %s", self.identity, explain(exc, self.url))
                await self._failed()
                continue
            registered = await self._session(websocket)
            self._set_state("offline")
            if self._stopping:
                break
            if registered:
                # A session that got through registration ended: reconnect
                # after the shortest delay.
                self.failed_attempts = 0
                await self._pause(self.backoff_delay(1))
            else:
                await self._failed()
        self._set_state("closed")

    async def _failed(self):
        """One more attempt that did not get through registration."""
        self.failed_attempts += 1
        self._set_state("offline")
        if self.max_reconnects is not None and self.failed_attempts > self.max_reconnects:
            reason = explain(self.last_error, self.url)
            _LOG.warning(
                "%s: giving up after %d failed attempt%s: %s",
                self.identity,
                self.failed_attempts,
                "" if self.failed_attempts == 1 else "s",
                reason,
            )
            raise ConnectionFailed(
                "%d connection attempt%s failed; the last: %s"
                % (self.failed_attempts, "" if self.failed_attempts == 1 else "s", reason),
                self.last_error,
            )
        await self._pause(self.backoff_delay(self.failed_attempts))

    async def _pause(self, delay):
        self.reconnect_delays.append(delay)
        if len(self.reconnect_delays) > 64:
            del self.reconnect_delays[0]
        try:
            await asyncio.wait_for(self._stop.wait(), delay)
        except asyncio.TimeoutError:
            pass

    def _headers(self):
        if security.uses_basic_auth(self.security_profile):
            return {"Authorization": security.basic_authorization(self.identity, self.password)}
        return None

    # ------------------------------------------------------------ one connection

    def _make_charge_point(self, link):
        factory = self.charge_point_factory
        if isinstance(factory, type):
            options = dict(self.charge_point_options)
            options.setdefault("role", "ChargePoint")
            return factory(self.identity, link, protocol=self.protocol, **options)
        return factory(self.identity, link)

    def _incoming(self, text):
        # While Rejected the charge point answers nothing (OCPP 1.6 4.2):
        # only answers to our own CALLs get through.
        if self.state != "rejected":
            return True
        if not isinstance(text, str):
            return False
        message_type = framing.peek(text)[0]
        return message_type in (framing.CALLRESULT, framing.CALLERROR)

    async def _session(self, websocket):
        """Serve one connection; True if it got through registration."""
        if websocket.subprotocol not in self.subprotocols:
            self.last_error = UsageError(
                "the central system selected no subprotocol of %s" % ", ".join(self.subprotocols)
            )
            await websocket.close(1002, "no OCPP subprotocol agreed")
            return False
        self.connections += 1
        link = WebSocketLink(
            websocket,
            self.identity,
            self.security_profile,
            incoming_filter=self._incoming,
        )
        try:
            charge_point = self._make_charge_point(link)
        except Exception:
            _LOG.exception("charge point factory failed")
            await websocket.close(1011, "internal error")
            return False
        self.link = link
        self.charge_point = charge_point
        self._registered = False
        try:
            (await _maybe_await(self._on_connect(charge_point, link)) if self._on_connect else None)
        except Exception:
            _LOG.exception("on_connect hook failed")
        reader = asyncio.create_task(self._read(charge_point))
        worker = asyncio.create_task(self._work(charge_point))
        try:
            await asyncio.wait({reader, worker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            worker.cancel()
            if websocket.close_code is None:
                try:
                    await link.close(1000, "charge point closing the connection")
                except Exception:
                    pass
            for task in (worker, reader):
                try:
                    await asyncio.wait_for(task, self.close_timeout + 1)
                except (asyncio.CancelledError, asyncio.TimeoutError):
                    pass
                except Exception:
                    _LOG.exception("%s: session task failed", self.identity)
            self.charge_point = None
            await _close_charge_point(charge_point)
            self._set_state("offline")
            if self._on_disconnect is not None:
                try:
                    await _maybe_await(self._on_disconnect(charge_point, link))
                except Exception:
                    _LOG.exception("on_disconnect hook failed")
        return self._registered

    async def _read(self, charge_point):
        try:
            await charge_point.start()
        except (ConnectionClosed, NotConnectedError):
            pass

    async def _work(self, charge_point):
        try:
            if self._needs_boot():
                await self._boot(charge_point)
            else:
                self._registered = True
                self._last_request = time.monotonic()
                self._set_state("accepted")
            await asyncio.gather(
                self._heartbeat_loop(charge_point), self._deliver_loop(charge_point)
            )
        except (
            CallCancelledError,
            NotConnectedError,
            ConnectionClosed,
            SessionClosedError,
        ):
            pass  # the connection ended; run() reconnects

    def _needs_boot(self):
        if self._accepted_boot is None or self.boot_on_reconnect:
            return True
        return self.protocol.encode(self.boot_notification) != self._accepted_boot

    async def _boot(self, charge_point):
        while True:
            # A Pending or Rejected answer, also one from an earlier
            # connection, sets the least wait before the next
            # BootNotification (OCPP 1.6 4.2); while Rejected nothing is
            # sent or answered meanwhile.
            delay = self._next_boot_at - time.monotonic()
            if delay > 0:
                self._set_state(self._waiting_state)
                try:
                    await asyncio.wait_for(self._boot_now.wait(), delay)
                except asyncio.TimeoutError:
                    pass
            self._boot_now.clear()
            if self.state != "pending":
                self._set_state("booting")
            request = self.boot_notification
            wait = self.boot_retry_interval
            self._waiting_state = "booting"
            try:
                response = await self._send(charge_point, request, suppress=False)
            except (OCPPError, CallTimeoutError) as failure:
                _LOG.warning("%s: BootNotification failed: %s", self.identity, failure)
            else:
                self._registered = True
                self.registration = response
                status = _value(response.status)
                if status == "Accepted":
                    self._next_boot_at = 0.0
                    self._accepted_boot = self.protocol.encode(request)
                    self.heartbeat_interval = response.interval
                    self._set_state("accepted")
                    return
                self._waiting_state = "rejected" if status == "Rejected" else "pending"
                self._set_state(self._waiting_state)
                if response.interval and response.interval > 0:
                    wait = response.interval
            self._next_boot_at = time.monotonic() + wait

    async def _send(self, charge_point, payload, suppress, unique_id=None):
        self._last_request = time.monotonic()
        return await charge_point.call(payload, suppress=suppress, unique_id=unique_id)

    async def _heartbeat_loop(self, charge_point):
        heartbeat = self.protocol.request_class("Heartbeat")
        while True:
            self._interval_changed.clear()
            interval = self._heartbeat_interval
            if not self.heartbeats or not interval or interval <= 0:
                await self._interval_changed.wait()
                continue
            delay = self._last_request + interval - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._interval_changed.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                continue
            try:
                await self._send(charge_point, heartbeat(), suppress=False)
            except (OCPPError, CallTimeoutError) as failure:
                _LOG.warning("%s: Heartbeat failed: %s", self.identity, failure)

    # ------------------------------------------------------------ sending

    async def call(self, payload, suppress=True, allow_pending=False):
        """Send a CALL now and return the typed response (see
        ``ChargePoint.call`` for ``suppress``). NotConnectedError when
        offline, NotAcceptedError before the BootNotification was Accepted
        (unless ``allow_pending`` and Pending)."""
        charge_point = self.charge_point
        if charge_point is None or self.link is None or not self.link.open:
            why = ""
            if self.failure is not None:
                why = " (gave up: %s)" % self.failure
            elif self.last_error is not None:
                why = " (last attempt: %s)" % explain(self.last_error, self.url)
            raise NotConnectedError("%s is not connected%s" % (self.identity, why), self.identity)
        if self.state != "accepted" and not (allow_pending and self.state == "pending"):
            raise NotAcceptedError(
                "%s is %s; requests wait for an Accepted BootNotification"
                % (self.identity, self.state),
                self.identity,
            )
        if self.queue and self._is_transaction_message(payload):
            raise UsageError(
                "%d transaction-related messages are queued; enqueue() this one so it keeps"
                " its place (OCPP 1.6 3.7)" % len(self.queue)
            )
        return await self._send(charge_point, payload, suppress)

    def _is_transaction_message(self, payload):
        action = self.protocol.action_of(payload)
        if action == "MeterValues":
            return getattr(payload, "transaction_id", None) is not None
        return action in ("StartTransaction", "StopTransaction")

    def enqueue(self, payload, transaction=None):
        """Queue a StartTransaction, StopTransaction or MeterValues for
        in-order delivery; returns a Delivery. ``transaction``: the
        ``Delivery.transaction`` of the StartTransaction whose
        transactionId this message carries (filled in when sent; put any
        int in the payload's ``transaction_id``). The payload is validated
        now: a UsageError (OutgoingValidationError) means nothing was
        queued."""
        action = self.protocol.action_of(payload)
        if action not in TRANSACTION_ACTIONS:
            raise UsageError("%s is not transaction-related; send it with call()" % (action,))
        if not self.protocol.is_request(payload):
            raise UsageError("enqueue a request payload")
        wire = self.protocol.encode(payload)
        checked = wire
        if transaction is not None:
            checked = dict(wire)
            checked["transactionId"] = self.queue.transaction_id(transaction) or 0
        try:
            self.protocol.validate_request(action, checked)
        except self.protocol.ValidationError as invalid:
            raise OutgoingValidationError(action, invalid) from invalid
        entry = self.queue.put(action, wire, transaction)
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(_quiet)
        self._waiters[entry.seq] = future
        self._queue_ready.set()
        return Delivery(entry, future)

    def _settle(self, entry, response=None, failure=None):
        future = self._waiters.pop(entry.seq, None)
        if future is None or future.done():
            return
        if failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(response)

    def _evicted(self, entry):
        reason = "evicted: the queue was full"
        _LOG.warning("%s: queue full, dropped the queued %s", self.identity, entry.action)
        self._settle(entry, failure=DeliveryFailed(entry.action, reason))
        self._report_undelivered(entry, reason)

    def _hold(self, entry, reason):
        """Give ``entry`` up without losing it (see the module doc)."""
        _LOG.warning("%s: holding queued %s: %s", self.identity, entry.action, reason)
        self.queue.hold(entry, reason)
        self._sent_on.pop(entry.seq, None)
        self._settle(entry, failure=DeliveryFailed(entry.action, reason, held=True))
        self._report_undelivered(entry, reason)

    def _report_undelivered(self, entry, reason):
        if self._on_undelivered is None:
            return
        try:
            outcome = self._on_undelivered(entry, reason)
            if inspect.isawaitable(outcome):
                asyncio.ensure_future(outcome)
        except Exception:
            _LOG.exception("on_undelivered hook failed")

    def held_messages(self):
        """Transaction messages given up and kept (QueuedMessage, oldest first)."""
        return self.queue.held()

    def release_held(self, messages=None):
        """Put held messages (all, or those given) back at the end of the
        line for a new round of attempts; returns them as queued now. No
        one waits for them: their Delivery already failed."""
        released = self.queue.release(messages)
        if released:
            self._queue_ready.set()
        return released

    def discard_held(self, message):
        """Delete one held message for good."""
        self.queue.done(message, why="discarded: " + (message.held or ""))

    def _transmission_id(self, entry):
        """The unique id to send ``entry`` under now: the one it was last
        sent under, unless that was on this very connection (a retry
        after a failure), which OCPP-J 4.1.4 forbids; recorded in the
        queue before it is sent."""
        if entry.unique_id is None or self._sent_on.get(entry.seq) == self.connections:
            self.queue.assign_id(entry, str(uuid.uuid4()))
        self._sent_on[entry.seq] = self.connections
        return entry.unique_id

    async def _deliver_loop(self, charge_point):
        queue = self.queue
        while True:
            entry = queue.peek()
            if entry is None:
                self._queue_ready.clear()
                await self._queue_ready.wait()
                continue
            wire = queue.resolve(entry)
            if wire is None:
                self._hold(entry, "its StartTransaction was not delivered")
                continue
            try:
                request = self.protocol.decode_request(entry.action, wire)
            except Exception as exc:
                self._hold(entry, "cannot be decoded: %s" % exc)
                continue
            try:
                response = await self._send(
                    charge_point, request, suppress=False, unique_id=self._transmission_id(entry)
                )
            except (OCPPError, CallTimeoutError) as failure:
                attempts = queue.record_attempt(entry)
                if attempts >= self.transaction_message_attempts:
                    self._hold(entry, "failed %d times, last: %s" % (attempts, failure))
                    continue
                delay = self.transaction_message_retry_interval * attempts
                _LOG.warning(
                    "%s: %s failed (attempt %d of %d): %s; sending it again in %ss",
                    self.identity,
                    entry.action,
                    attempts,
                    self.transaction_message_attempts,
                    failure,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            except SessionClosedError:
                # the connection closed under us: keep the entry, reconnect
                raise NotConnectedError("connection closed", self.identity) from None
            except UsageError as misuse:
                self._hold(entry, "cannot be sent: %s" % misuse)
                continue
            transaction_id = None
            if entry.action == "StartTransaction":
                transaction_id = getattr(response, "transaction_id", None)
            queue.done(entry, transaction_id)
            self._sent_on.pop(entry.seq, None)
            self._settle(entry, response)

    def transaction_id(self, transaction):
        """The transactionId the central system assigned to the reference
        ``transaction`` (Delivery.transaction), or None so far."""
        return self.queue.transaction_id(transaction)


async def _close_charge_point(charge_point):
    close = getattr(charge_point, "close", None)
    if close is None:
        return
    try:
        await _maybe_await(close())
    except Exception:
        _LOG.exception("closing the charge point session failed")


def _check_request(protocol, expected, payload):
    """Fail at once, not on every reconnect, for a payload that can never
    be sent."""
    if protocol.action_of(payload) != expected or not protocol.is_request(payload):
        raise UsageError("boot_notification must be a %s request" % expected)
    try:
        protocol.validate_request(expected, protocol.encode(payload))
    except protocol.ValidationError as invalid:
        raise OutgoingValidationError(expected, invalid) from invalid
