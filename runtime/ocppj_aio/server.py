"""An OCPP-J 1.6 central system over asyncio ``websockets`` (CPython only).

    from ocpp16 import protocol, call_result
    from ocppj_aio.charge_point import ChargePoint
    from ocppj_aio.server import CentralSystem
    from ocppj.routing import on

    class MyChargePoint(ChargePoint):          # one object per connection
        @on("BootNotification")
        async def boot(self, **fields):
            return call_result.BootNotification(
                status="Accepted", current_time=now_iso(), interval=300)

    async with CentralSystem(MyChargePoint, protocol=protocol, port=9000) as cs:
        response = await cs.call("CP-1", call.Reset(type="Soft"))

Handshake (all decided before the upgrade, with an HTTP status and a
plain-text body that says why):

* the charge point identity is the last segment of the URL path,
  percent-decoded (OCPP-J 1.6 3.1.1); with ``path_prefix`` the rest of the
  path must equal it. No identity or a wrong prefix: 404. Not UTF-8 after
  decoding, longer than ``MAX_IDENTITY_LENGTH``, holding a ``/``, a
  control or format character, or a malformed ``%`` escape (see
  ``ocppj_aio.identity``, which says which characters an identity may
  hold): 400. Identities are logged escaped. ``identity_check``
  answering False: 404 (OCPP-J 3.2, unknown charge point).
* subprotocol: the client's first offer among ``subprotocols`` is selected
  (``ocpp1.6``). No Sec-WebSocket-Protocol, or only unsupported ones: 400
  naming what was offered and what is spoken. OCPP-J 3.2 literally asks to
  complete the handshake without a subprotocol and then close; pass
  ``subprotocol_mismatch="close"`` for that (closed with 1002). The
  QuecPython port's examples offer ``ocpp1.6.0``, which OCPP-J does not
  define: ``subprotocols=("ocpp1.6", "ocpp1.6.0")`` accepts it as an alias
  (off by default; ``ocppj serve --accept-subprotocol ocpp1.6.0``).
* security profile (see ``ocppj_aio.security``): 1 and 2 need HTTP Basic
  with username == identity and a password ``authenticator(identity,
  password_bytes)`` accepts, else 401 with ``WWW-Authenticate`` (also
  for more than one Authorization header); after repeated failures
  an identity or an address gets 429 with ``Retry-After`` for a while
  (``auth_throttle``, see ``ocppj_aio.throttle``; False turns it off);
  ``security.PasswordFile`` reads per-charge-point keys from a file; 2 and 3
  need ``ssl_context``; 3 needs a client certificate (the TLS context
  requires and verifies it) that ``certificate_binding(identity, subject)``
  accepts, else 403.
* more than ``max_connections`` charge points (default 10000; None for no
  limit): 503.
* an identity that is already connected: ``on_duplicate="replace"``
  (default) closes the old connection (1000, "replaced by a new
  connection") before the new one is served; ``"refuse"`` answers 409.

Per connection ``charge_point_factory(identity, link)`` makes the object
whose ``@on`` methods or overridden ``ocpp16.handlers`` stubs answer the
charge point's CALLs; it must be an ``ocppj_aio.charge_point.ChargePoint``.
A ChargePoint subclass can be passed as the factory: it is called as
``cls(identity, link, protocol=protocol, **charge_point_options)``.
``link`` (``ocppj_aio.link.WebSocketLink``) tells identity, subprotocol,
remote address, peer certificate, close code.

Hooks ``on_connect(charge_point, link)`` and ``on_disconnect(charge_point,
link)`` (sync or async; constructor arguments or methods of a subclass)
run after the upgrade and after the connection ended; an exception in a
hook is logged and the connection goes on (connect) or is already over.

Liveness: WebSocket pings every ``ping_interval`` s, the connection is
dropped when a pong does not come within ``ping_timeout`` s (``websockets``
keepalive, close code 1011). On top, ``idle_timeout`` closes (1000, "idle
timeout") a connection that sent no message for that long: a number of
seconds, or ``"heartbeat"`` for ``idle_heartbeats`` times the heartbeat
interval plus ``idle_grace``. The interval is the one this central system
gave the charge point: read from its own BootNotification.conf and
accepted ChangeConfiguration(HeartbeatInterval), else ``heartbeat_interval``.
The default is None: OCPP-J 5.3 lets a charge point rely on WebSocket pings
instead of Heartbeat, so dropping quiet connections is opt-in.

Flow (``ocppj_aio.flow`` and ``ocppj_aio.link``): a charge point that
stops reading is dropped once nothing could be sent for
``write_timeout`` s (default: ``ping_timeout``) or more than
``max_outgoing_bytes`` wait for it. Each connection is read one buffered
message per event loop turn, so a flooding charge point does not hold up
the others; up to ``call_burst`` (16) CALLs sent without waiting for the
answers are served in order, further ones are refused with a CALLERROR
(``excess_calls="refuse"``) or end the connection with 1008 (``"close"``);
``call_burst=None`` turns the rule off.

Transaction messages are at least once: ``duplicates=True`` (or a
``ocppj_aio.duplicates.DuplicateDetector``) answers a repeated
StartTransaction, StopTransaction or MeterValues of a charge point as the
first was answered, without calling the handler again.

``await cs.call(identity, payload, suppress=True)`` sends a CALL to a
connected charge point and returns the typed response (see
``ChargePoint.call``); ``NotConnectedError`` when it is not connected.

``reuse_port=True`` binds with SO_REUSEPORT (Linux): several processes
listen on one port and the kernel spreads new connections over them (what
``ocppj gateway --workers N`` does).

``await cs.close()``: stops accepting, closes every connection with 1001
(going away); CALLs still waiting for an answer fail with
``CallCancelledError``; returns when every connection handler is done.
"""

import asyncio
import http
import inspect
import logging
import math
import urllib.parse

from ocppj.errors import UsageError
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from . import flow, security
from .charge_point import ChargePoint
from .duplicates import DuplicateDetector, Replayer
from .identity import MAX_IDENTITY_LENGTH, identity_problem, printable, segment_problem
from .link import EXCESS_CALL_POLICIES, NotConnectedError, WebSocketLink
from .throttle import AuthThrottle

__all__ = ["CentralSystem", "NotConnectedError", "MAX_IDENTITY_LENGTH"]

DUPLICATE_POLICIES = ("replace", "refuse")

_LOG = logging.getLogger("ocppj.server")


class _Handshake:
    __slots__ = ("identity", "path", "peer_certificate")

    def __init__(self, identity, path, peer_certificate):
        self.identity = identity
        self.path = path
        self.peer_certificate = peer_certificate


class _Refusal(Exception):
    def __init__(self, status, text, headers=None):
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}


class _Session:
    def __init__(self, charge_point, link):
        self.charge_point = charge_point
        self.link = link
        self.done = asyncio.Event()


class _ServerLink(WebSocketLink):
    """Learns the heartbeat interval from the BootNotification.conf this
    central system sends: the ChargePoint hands over the response object
    once the answer was sent (``result_sent``), so no frame is read twice."""

    def result_sent(self, action, response):
        if action != "BootNotification":
            return
        status = getattr(response, "status", None)
        status = getattr(status, "value", status)
        interval = getattr(response, "interval", None)
        if status == "Accepted" and type(interval) is int:
            self.heartbeat_interval = interval


async def _maybe_await(value):
    if inspect.isawaitable(value):
        return await value
    return value


def identity_from_path(path, path_prefix=None):
    """The charge point identity in a request path (query dropped), or
    raise ``ValueError`` with the reason; ``LookupError`` when the path has
    no identity or does not start with ``path_prefix``."""
    path = path.split("?", 1)[0]
    if path_prefix is not None:
        prefix = "/" + path_prefix.strip("/")
        if prefix == "/":
            prefix = ""
        if not path.startswith(prefix + "/"):
            raise LookupError("the OCPP-J endpoint is %s/<charge point identity>" % prefix)
        rest = path[len(prefix) + 1 :]
        if "/" in rest:
            raise LookupError("the OCPP-J endpoint is %s/<charge point identity>" % prefix)
        segment = rest
    else:
        segment = path.rsplit("/", 1)[-1]
    if not segment:
        raise LookupError("no charge point identity at the end of the URL path")
    problem = segment_problem(segment)
    if problem is not None:
        raise ValueError(problem)
    try:
        identity = urllib.parse.unquote(segment, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ValueError("the percent-decoded charge point identity is not UTF-8") from None
    problem = identity_problem(identity)
    if problem is not None:
        raise ValueError(problem)
    return identity


def _address(connection):
    """``host:port`` of the peer of a connection, for log lines."""
    try:
        peer = connection.remote_address
    except Exception:
        peer = None
    if not peer:
        return "?"
    return "%s:%s" % (peer[0], peer[1])


def _offered_subprotocols(headers):
    offered = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        for item in value.split(","):
            item = item.strip()
            if item:
                offered.append(item)
    return offered


class CentralSystem:
    def __init__(
        self,
        charge_point_factory=ChargePoint,
        *,
        protocol,
        host="127.0.0.1",
        port=0,
        path_prefix=None,
        security_profile=0,
        ssl_context=None,
        authenticator=None,
        certificate_binding=None,
        auth_throttle=True,
        duplicates=None,
        identity_check=None,
        on_duplicate="replace",
        on_connect=None,
        on_disconnect=None,
        subprotocols=None,
        subprotocol_mismatch="http",
        ping_interval=20,
        ping_timeout=20,
        write_timeout=None,
        max_outgoing_bytes=flow.DEFAULT_MAX_OUTGOING_BYTES,
        call_burst=16,
        excess_calls="refuse",
        idle_timeout=None,
        idle_heartbeats=2,
        idle_grace=30,
        heartbeat_interval=None,
        open_timeout=10,
        close_timeout=10,
        max_message_size=2**20,
        max_connections=10000,
        compression=None,
        reuse_port=False,
        **charge_point_options,
    ):
        self.protocol = protocol
        self.host = host
        self.port = port
        self.path_prefix = path_prefix
        self.security_profile = security.check_profile(security_profile)
        if security.uses_tls(security_profile) and ssl_context is None:
            raise UsageError("security profile %d needs an ssl_context" % security_profile)
        if not security.uses_tls(security_profile) and ssl_context is not None:
            raise UsageError(
                "security profile %d is without TLS; profiles 2 and 3 use TLS" % security_profile
            )
        if security.uses_basic_auth(security_profile) and authenticator is None:
            raise UsageError(
                "security profile %d needs an authenticator(identity, password)" % security_profile
            )
        if on_duplicate not in DUPLICATE_POLICIES:
            raise UsageError("on_duplicate is 'replace' or 'refuse', not %r" % (on_duplicate,))
        if subprotocol_mismatch not in ("http", "close"):
            raise UsageError("subprotocol_mismatch is 'http' or 'close'")
        if excess_calls not in EXCESS_CALL_POLICIES:
            raise UsageError("excess_calls is 'refuse' or 'close', not %r" % (excess_calls,))
        if call_burst is not None and (type(call_burst) is not int or call_burst < 0):
            raise UsageError("call_burst is None or a count >= 0, not %r" % (call_burst,))
        if idle_timeout is not None and idle_timeout != "heartbeat":
            if not isinstance(idle_timeout, (int, float)) or idle_timeout <= 0:
                raise UsageError("idle_timeout is None, 'heartbeat' or a positive number")
        if ssl_context is not None:
            # failed TLS handshakes (a wrong client certificate) are logged
            security.log_handshake_failures(ssl_context)
        self.ssl_context = ssl_context
        self.authenticator = authenticator
        if certificate_binding is None:
            certificate_binding = security.common_name_binding()
        self.certificate_binding = certificate_binding
        if auth_throttle is True:
            auth_throttle = AuthThrottle()
        self.auth_throttle = auth_throttle or None
        self.identity_check = identity_check
        if duplicates is True:
            duplicates = DuplicateDetector()
        self.duplicates = duplicates or None
        self.on_duplicate = on_duplicate
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        if subprotocols is None:
            subprotocols = (protocol.SUBPROTOCOL,)
        self.subprotocols = tuple(subprotocols)
        self.subprotocol_mismatch = subprotocol_mismatch
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.write_timeout = ping_timeout if write_timeout is None else write_timeout
        self.max_outgoing_bytes = max_outgoing_bytes
        self.call_burst = call_burst
        self.excess_calls = excess_calls
        self.idle_timeout = idle_timeout
        self.idle_heartbeats = idle_heartbeats
        self.idle_grace = idle_grace
        self.heartbeat_interval = heartbeat_interval
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        self.max_message_size = max_message_size
        self.max_connections = max_connections
        self.compression = compression
        self.reuse_port = reuse_port
        self.charge_point_factory = charge_point_factory
        self.charge_point_options = charge_point_options
        self._sessions = {}
        self._server = None
        self._closing = False

    # ------------------------------------------------------------ lifecycle

    async def start(self):
        """Start listening; returns self. ``port=0`` picks a free port,
        readable from ``self.port`` afterwards."""
        if self._server is not None:
            raise UsageError("the central system is already started")
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            subprotocols=list(self.subprotocols),
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            compression=self.compression,
            open_timeout=self.open_timeout,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            close_timeout=self.close_timeout,
            max_size=self.max_message_size,
            ssl=self.ssl_context,
            server_header=None,
            create_connection=flow.connection_factory(
                flow.GuardedServerConnection, self.write_timeout, self.max_outgoing_bytes
            ),
            reuse_port=self.reuse_port or None,
        )
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return self

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc_info):
        await self.close()

    async def serve_forever(self):
        if self._server is None:
            await self.start()
        try:
            await self._server.wait_closed()
        except asyncio.CancelledError:
            await self.close()
            raise

    async def close(self, code=1001, reason="central system shutting down"):
        """Graceful shutdown (see module docstring). Idempotent."""
        if self._server is None:
            return
        self._closing = True
        self._server.close(close_connections=True, code=code, reason=reason)
        await self._server.wait_closed()

    def url(self, identity=None):
        """The OCPP-J endpoint URL (with ``identity`` appended, encoded)."""
        scheme = "wss" if self.ssl_context is not None else "ws"
        base = "%s://%s:%d" % (scheme, self.host, self.port)
        if self.path_prefix:
            base += "/" + self.path_prefix.strip("/")
        if identity is None:
            return base
        return base + "/" + urllib.parse.quote(identity, safe="")

    # ------------------------------------------------------------ sessions

    @property
    def charge_points(self):
        """``{identity: charge point object}`` of the open connections."""
        return {identity: s.charge_point for identity, s in self._sessions.items()}

    def is_connected(self, identity):
        return identity in self._sessions

    def link(self, identity):
        session = self._sessions.get(identity)
        if session is None:
            raise NotConnectedError("charge point %r is not connected" % (identity,), identity)
        return session.link

    async def call(self, identity, payload, suppress=True, unique_id=None):
        """Send a CALL to the charge point ``identity``; returns what
        ``ChargePoint.call`` returns. Raises NotConnectedError when it is
        not connected; CallCancelledError when it disconnects before
        answering; CallTimeoutError without an answer in time."""
        session = self._sessions.get(identity)
        if session is None:
            raise NotConnectedError("charge point %r is not connected" % (identity,), identity)
        response = await session.charge_point.call(payload, suppress=suppress, unique_id=unique_id)
        self._learn_interval(session.link, payload, response)
        return response

    def _learn_interval(self, link, payload, response):
        if self.protocol.action_of(payload) != "ChangeConfiguration" or response is None:
            return
        key = getattr(payload, "key", None)
        status = getattr(response, "status", None)
        status = getattr(status, "value", status)
        if key == "HeartbeatInterval" and status == "Accepted":
            try:
                link.heartbeat_interval = int(payload.value)
            except (TypeError, ValueError):
                pass

    # ------------------------------------------------------------ hooks

    async def on_connect(self, charge_point, link):
        """Called after the upgrade, before the first message is read."""
        if self._on_connect is not None:
            await _maybe_await(self._on_connect(charge_point, link))

    async def on_disconnect(self, charge_point, link):
        """Called once the connection is closed and pending CALLs failed."""
        if self._on_disconnect is not None:
            await _maybe_await(self._on_disconnect(charge_point, link))

    # ------------------------------------------------------------ handshake

    def _select_subprotocol(self, connection, offered):
        for name in offered:
            if name in self.subprotocols:
                return name
        # Only reached with subprotocol_mismatch="close": _process_request
        # refused every other mismatch already.
        return None

    async def _process_request(self, connection, request):
        try:
            connection.ocppj_handshake = await self._check_request(connection, request)
        except _Refusal as refusal:
            _LOG.info(
                "refused %s from %s: %s %s",
                printable(request.path),
                _address(connection),
                int(refusal.status),
                printable(refusal.text),
            )
            response = connection.respond(refusal.status, refusal.text + "\n")
            for name, value in refusal.headers.items():
                response.headers[name] = value
            return response
        return None

    async def _check_request(self, connection, request):
        try:
            identity = identity_from_path(request.path, self.path_prefix)
        except LookupError as missing:
            raise _Refusal(http.HTTPStatus.NOT_FOUND, str(missing)) from None
        except ValueError as bad:
            raise _Refusal(http.HTTPStatus.BAD_REQUEST, str(bad)) from None

        if self.subprotocol_mismatch == "http":
            offered = _offered_subprotocols(request.headers)
            if not offered:
                raise _Refusal(
                    http.HTTPStatus.BAD_REQUEST,
                    "no Sec-WebSocket-Protocol offered; this central system speaks %s"
                    " (OCPP-J 1.6 section 3.1.2)" % ", ".join(self.subprotocols),
                )
            if not any(name in self.subprotocols for name in offered):
                raise _Refusal(
                    http.HTTPStatus.BAD_REQUEST,
                    "unsupported subprotocol %s; this central system speaks %s"
                    % (", ".join(offered), ", ".join(self.subprotocols)),
                )

        peer_certificate = None
        profile = self.security_profile
        if security.uses_basic_auth(profile):
            await self._check_password(identity, request, connection)
        if profile == 3:
            ssl_object = connection.transport.get_extra_info("ssl_object")
            peer_certificate = ssl_object.getpeercert() if ssl_object is not None else None
            if not peer_certificate:
                raise _Refusal(http.HTTPStatus.FORBIDDEN, "a client certificate is required")
            subject = security.certificate_subject(peer_certificate)
            if not self.certificate_binding(identity, subject):
                raise _Refusal(
                    http.HTTPStatus.FORBIDDEN,
                    "the client certificate does not belong to charge point %s" % identity,
                )

        if self.identity_check is not None:
            if not await _maybe_await(self.identity_check(identity)):
                raise _Refusal(http.HTTPStatus.NOT_FOUND, "unknown charge point %s" % identity)

        if (
            self.max_connections is not None
            and len(self._sessions) >= self.max_connections
            and identity not in self._sessions
        ):
            raise _Refusal(
                http.HTTPStatus.SERVICE_UNAVAILABLE,
                "%d charge points are connected, the most this central system takes"
                % len(self._sessions),
            )
        if self.on_duplicate == "refuse" and identity in self._sessions:
            raise _Refusal(
                http.HTTPStatus.CONFLICT,
                "charge point %s is already connected" % identity,
            )
        return _Handshake(identity, request.path, peer_certificate)

    async def _check_password(self, identity, request, connection=None):
        challenge = {"WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"'}
        throttle = self.auth_throttle
        address = None
        if throttle is not None:
            try:
                address = connection.remote_address[0]
            except Exception:
                address = None
            wait, which = throttle.retry_after(identity, address)
            if wait > 0:
                raise _Refusal(
                    http.HTTPStatus.TOO_MANY_REQUESTS,
                    "too many failed authentications %s; retry in %d s"
                    % (
                        "for " + identity if which == "identity" else "from " + str(address),
                        math.ceil(wait),
                    ),
                    {"Retry-After": str(math.ceil(wait))},
                )
        values = request.headers.get_all("Authorization")
        if len(values) > 1:
            raise _Refusal(
                http.HTTPStatus.UNAUTHORIZED,
                "%d Authorization headers; send one" % len(values),
                challenge,
            )
        credentials = security.parse_basic_authorization(values[0] if values else None)
        if credentials is None:
            raise _Refusal(
                http.HTTPStatus.UNAUTHORIZED,
                "HTTP Basic credentials required (security profile %d)" % self.security_profile,
                challenge,
            )
        username, password = credentials
        if username != identity:
            if throttle is not None:
                throttle.failed(identity, address)
            raise _Refusal(
                http.HTTPStatus.UNAUTHORIZED,
                "the Basic username must be the charge point identity",
                challenge,
            )
        try:
            accepted = await _maybe_await(self.authenticator(identity, password))
        except Exception:
            _LOG.exception("authenticator failed for %s", printable(identity))
            raise _Refusal(http.HTTPStatus.INTERNAL_SERVER_ERROR, "authentication failed") from None
        if not accepted:
            if throttle is not None:
                throttle.failed(identity, address)
            raise _Refusal(
                http.HTTPStatus.UNAUTHORIZED,
                "wrong password for %s" % identity,
                challenge,
            )
        if throttle is not None:
            throttle.succeeded(identity, address)

    # ------------------------------------------------------------ connections

    def _make_charge_point(self, identity, link):
        factory = self.charge_point_factory
        if isinstance(factory, type):
            return factory(identity, link, protocol=self.protocol, **self.charge_point_options)
        return factory(identity, link)

    async def _handle(self, websocket):
        handshake = getattr(websocket, "ocppj_handshake", None)
        if handshake is None:
            await websocket.close(1011, "handshake state missing")
            return
        if websocket.subprotocol is None:
            await websocket.close(
                1002,
                "no common subprotocol; this central system speaks %s"
                % ", ".join(self.subprotocols),
            )
            return
        identity = handshake.identity
        old = self._sessions.get(identity)
        if old is not None:
            if self.on_duplicate == "refuse":
                await websocket.close(1008, "charge point %s is already connected" % identity)
                return
            await self._replace(old)
            # Another connection of the same identity may have won a race.
            if identity in self._sessions:
                await websocket.close(1008, "charge point %s is already connected" % identity)
                return
        link = _ServerLink(
            websocket,
            identity,
            self.security_profile,
            handshake.path,
            handshake.peer_certificate,
            call_burst=self.call_burst,
            excess_calls=self.excess_calls,
        )
        try:
            charge_point = self._make_charge_point(identity, link)
        except Exception:
            _LOG.exception("charge point factory failed for %s", printable(identity))
            await websocket.close(1011, "internal error")
            return
        if self.duplicates is not None:
            charge_point.replayer = Replayer(self.duplicates, identity, self.protocol)
        session = _Session(charge_point, link)
        self._sessions[identity] = session
        watchdog = None
        failed = False  # an error ended the session (close 1011)
        try:
            try:
                await self.on_connect(charge_point, link)
            except Exception:
                _LOG.exception("on_connect hook failed for %s", printable(identity))
            if self.idle_timeout is not None:
                watchdog = asyncio.create_task(self._watch_idle(link))
            failed = await self._read(charge_point, identity)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if self._sessions.get(identity) is session:
                del self._sessions[identity]
            await _close_charge_point(charge_point)
            if websocket.close_code is None:
                if failed:
                    # 1011: the peer learns the session ended by a fault here
                    await websocket.close(1011, "internal error")
                else:
                    await websocket.close(1000 if not self._closing else 1001)
            if link.refused_calls:
                _LOG.info(
                    "%s sent %d CALLs beyond the burst of %s without waiting for answers",
                    printable(identity),
                    link.refused_calls,
                    self.call_burst,
                )
            try:
                await self.on_disconnect(charge_point, link)
            except Exception:
                _LOG.exception("on_disconnect hook failed for %s", printable(identity))
            session.done.set()

    async def _read(self, charge_point, identity):
        """Serve the connection until it ends; True if an error ended it."""
        try:
            await charge_point.start()
        except (ConnectionClosed, NotConnectedError):
            pass
        except Exception:
            _LOG.exception("connection of %s ended by an error", printable(identity))
            return True
        return False

    async def _replace(self, old):
        await old.link.close(1000, "replaced by a new connection")
        try:
            await asyncio.wait_for(old.done.wait(), self.close_timeout + 1)
        except asyncio.TimeoutError:
            _LOG.warning(
                "old connection of %s did not finish in time", printable(old.link.identity)
            )

    def _idle_limit(self, link):
        if self.idle_timeout == "heartbeat":
            interval = link.heartbeat_interval or self.heartbeat_interval
            if not interval or interval <= 0:
                return None
            return self.idle_heartbeats * interval + self.idle_grace
        return self.idle_timeout

    async def _watch_idle(self, link):
        while True:
            limit = self._idle_limit(link)
            if limit is None:
                await asyncio.sleep(max(self.idle_grace, 1))
                continue
            remaining = limit - link.idle_for()
            if remaining <= 0:
                _LOG.info("closing idle connection of %s", printable(link.identity))
                await link.close(1000, "idle timeout")
                return
            await asyncio.sleep(remaining)


async def _close_charge_point(charge_point):
    """Fail the CALLs still waiting for an answer (CallCancelledError)."""
    close = getattr(charge_point, "close", None)
    if close is None:
        return
    try:
        await _maybe_await(close())
    except Exception:
        _LOG.exception("closing the charge point session failed")
