"""``Gateway``: charge points on OCPP-J, services on MQTT (EMQX's format).

    from ocpp16 import protocol
    from ocppj_aio.gateway import Gateway

    async with Gateway(protocol=protocol, broker="mqtt://127.0.0.1:1883",
                       topics="emqx4", port=9000) as gateway:
        await gateway.serve_forever()

The WebSocket side is a ``CentralSystem`` (``gateway.central_system``):
every option of it (security profiles, ``ssl_context``, ``authenticator``,
pings, ``idle_timeout``, ``on_duplicate``, ``max_connections``, ...) is
passed through, and so are its server fixes. Per connection it makes a
``BridgeChargePoint`` (bridge.py says what it does with CALLs both ways).

Fleet state on the broker, so that N gateways share one broker (or one
cluster) without talking to each other:

* ``status`` (retained, per charge point): ``{"status": "online",
  "gateway": <id>, "since": <time>}`` while a gateway holds the charge
  point, ``"offline"`` (with ``reason``) once it left. Only the gateway
  holding a connection subscribes to its downstream topic.
* ``gateway_status`` (retained, per gateway): ``online``; the broker
  publishes our will, ``offline``, when this process dies or loses the
  broker. Every gateway watches both kinds: on a gateway's ``offline``
  the others mark its charge points offline (after a short random delay,
  skipping what someone else did already); a holder that sees its charge
  point marked offline, or claimed by an older connection elsewhere,
  says ``online`` again; one that sees a newer connection elsewhere closes
  its own (the cross-gateway form of ``on_duplicate="replace"``).
* the offline desk: for every charge point whose status is ``offline``,
  every gateway takes a share of its downstream topic (an MQTT shared
  subscription, ``$share/<desk_group>/<downstream filter>``: the broker
  hands each message to one of them). The gateway that loses a
  connection joins before it drops its own subscription, so no command
  falls between; all leave once the status says ``online``. A command for
  an offline charge point is answered at once on the gateway error topic
  (``offline="error"``), or kept for ``offline_ttl`` seconds and published
  again when the charge point is back (``offline="keep"``), else
  ``expired``. A charge point no gateway has ever seen has no status, and
  commands to it reach no gateway (a catch-all subscription would, but
  under EMQX 4.4's layout ``ocpp/+/+/+`` also catches every upstream
  message).

Gateway errors (``topics.gateway_error``): EMQX-shaped CALLERROR messages
with ``ErrorDetails.reason`` one of ``malformed``, ``invalid`` (both with
``field`` and ``rule``), ``unknown-call``, ``late``, ``unanswered``, ``timeout``,
``invalid-result``, ``disconnected``, ``queue-full``, ``refused``,
``offline``, ``expired``, ``congested``. The ``UniqueId`` is the one of the
service's message (or of the charge point's CALL for ``unanswered``).
"""

import asyncio
import collections
import datetime
import json
import logging
import random

from ..demo import default_response
from ..server import CentralSystem
from . import codec
from .bridge import BridgeChargePoint
from .mqtt import BrokerSettings, MQTTSession
from .topics import TopicScheme

_LOG = logging.getLogger("ocppj.gateway")

OFFLINE_POLICIES = ("error", "keep")

# Commands kept for offline charge points, over all of them (offline="keep").
DEFAULT_OFFLINE_LIMIT = 10000

# A holder says "online" again at most this often per charge point.
RECLAIM_INTERVAL = 1.0

# Longest random wait before marking a dead gateway's charge points offline.
SWEEP_DELAY = 1.0

# Topics whose meaning (status, gateway status, downstream of which charge
# point) is remembered; the memory starts over beyond this.
ROUTE_MEMORY = 100000


def _now_iso():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Kept:
    __slots__ = ("topic", "payload", "unique_id", "action", "timer")

    def __init__(self, topic, payload, unique_id, action, timer):
        self.topic = topic
        self.payload = payload
        self.unique_id = unique_id
        self.action = action
        self.timer = timer


class Gateway:
    def __init__(
        self,
        *,
        protocol,
        broker="mqtt://127.0.0.1:1883",
        topics="emqx4",
        gateway_id=None,
        call_timeout=30,
        command_timeout=30,
        command_queue_limit=16,
        fallback_answers=None,
        offline="error",
        offline_ttl=300,
        offline_limit=DEFAULT_OFFLINE_LIMIT,
        offline_desk=True,
        desk_group="ocppj-gateways",
        max_unacked=10000,
        identity_check=None,
        on_connect=None,
        on_disconnect=None,
        **central_system_options,
    ):
        if offline not in OFFLINE_POLICIES:
            raise ValueError("offline is 'error' or 'keep', not %r" % (offline,))
        self.protocol = protocol
        if isinstance(broker, str):
            broker = BrokerSettings.from_url(broker)
        self.broker = broker
        if isinstance(topics, str):
            topics = TopicScheme(topics)
        self.topics = topics
        self.gateway_id = gateway_id or broker.client_id
        self.call_timeout = call_timeout
        self.command_timeout = command_timeout
        self.command_queue_limit = command_queue_limit
        self.fallback_answers = dict(fallback_answers or {})
        for action in self.fallback_answers:
            if action not in protocol.ACTIONS:
                raise ValueError("fallback answer for unknown action %r" % (action,))
        self.offline = offline
        self.offline_ttl = offline_ttl
        self.offline_limit = offline_limit
        self.offline_desk = offline_desk
        self.desk_group = desk_group
        self._user_identity_check = identity_check
        self._user_on_connect = on_connect
        self._user_on_disconnect = on_disconnect
        self.mqtt = MQTTSession(
            broker,
            self._received,
            on_connected=self._broker_connected,
            will=(self.topics.gateway_status(self.gateway_id), self._gateway_status("offline")),
            max_unacked=max_unacked,
        )
        self.central_system = CentralSystem(
            self._make_bridge,
            protocol=protocol,
            identity_check=self._identity_allowed,
            on_connect=self._connected,
            on_disconnect=self._disconnected,
            **central_system_options,
        )
        self._bridges = {}  # identity -> BridgeChargePoint held here
        self._routes = {}  # topic -> (kind, name), see _route
        self._links = {}  # identity -> its WebSocketLink
        self._since = {}  # identity -> our connection's "since"
        self._replaced = {}  # identity -> True: another gateway took it over
        self._reclaimed = {}  # identity -> loop time we last said online again
        self._status = {}  # identity -> (status, gateway, since) as the broker has it
        self._gateways = {}  # gateway id -> "online" / "offline"
        self._desk_members = {}  # identity -> True: we hold a share of its downstream
        self._kept = collections.defaultdict(list)  # identity -> [_Kept], offline="keep"
        self._kept_count = 0
        self._tasks = set()
        self._started = False
        self._closed = False

    # ------------------------------------------------------------ lifecycle

    async def start(self, broker_wait=0):
        """Connect to the broker (waiting up to ``broker_wait`` seconds for
        one that is starting), then listen for charge points; returns self."""
        await self.mqtt.start(wait=broker_wait)
        topics = self.topics
        self.mqtt.subscribe(topics.any_status())
        self.mqtt.subscribe(topics.any_gateway_status())
        try:
            await self.central_system.start()
        except BaseException:
            await self._leave_broker()
            raise
        self._started = True
        # "online" once charge points can connect (after a reconnect to the
        # broker, _broker_connected says it again)
        self._broker_connected(False)
        _LOG.info(
            "gateway %s: charge points at %s/<identity>, broker %s, topics %s",
            self.gateway_id,
            self.central_system.url(),
            self.broker.describe(),
            topics.preset,
        )
        return self

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc_info):
        await self.close()

    async def serve_forever(self):
        if not self._started:
            await self.start()
        try:
            await self.central_system.serve_forever()
        finally:
            await self.close()

    async def close(self):
        """Close every connection (their status goes offline), say this
        gateway is offline, leave the broker. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self.central_system.close()
        for task in list(self._tasks):
            task.cancel()
        for kept in self._kept.values():
            for item in kept:
                item.timer.cancel()
        self._kept.clear()
        await self._leave_broker()

    async def _leave_broker(self):
        if self.mqtt.connected:
            self.publish(
                self.topics.gateway_status(self.gateway_id),
                self._gateway_status("offline", "stopped"),
                retain=True,
            )
        await self.mqtt.close()

    @property
    def port(self):
        return self.central_system.port

    def url(self, identity=None):
        return self.central_system.url(identity)

    @property
    def charge_points(self):
        """``{identity: BridgeChargePoint}`` held by this gateway."""
        return dict(self._bridges)

    # ------------------------------------------------------------ publishing

    def publish(self, topic, payload, retain=False):
        return self.mqtt.publish(topic, payload, retain=retain)

    def notify(
        self,
        identity,
        unique_id,
        action,
        reason,
        description,
        field=None,
        rule=None,
        code="GenericError",
        details=None,
    ):
        """A message on the gateway error topic of ``identity``."""
        extra = {"reason": reason}
        if field is not None:
            extra["field"] = field
            extra["rule"] = rule
        if details:
            extra.update(details)
        _LOG.info("%s: %s: %s", identity, reason, description)
        self.publish(
            self.topics.gateway_error(identity),
            codec.error(unique_id, action, code, description, extra),
        )

    def refuse_payload(self, identity, message, action, invalid, kind):
        """Gateway error for a service payload that breaks ``action``'s
        schema (``kind``: "req" or "conf"); ``invalid`` is the protocol's
        ValidationError."""
        path = invalid.path
        field = "Payload." + path if path else "Payload"
        self.notify(
            identity,
            message.unique_id,
            action,
            "invalid",
            "%s.%s: %s violates %s" % (action, kind, field, invalid.rule),
            field=field,
            rule=invalid.rule,
            code=invalid.code,
        )

    def _publish_status(self, identity, payload):
        self.publish(self.topics.status(identity), payload, retain=True)

    def _status_message(self, status, since, reason=None):
        message = {"status": status, "gateway": self.gateway_id, "since": since}
        if reason:
            message["reason"] = reason
        return _json(message)

    def _gateway_status(self, status, reason=None):
        message = {"status": status, "gateway": self.gateway_id, "at": _now_iso()}
        if reason:
            message["reason"] = reason
        return _json(message)

    def fallback_answer(self, action):
        """The typed answer configured for a CALL no service answered, or None."""
        answer = self.fallback_answers.get(action)
        if answer is None:
            return None
        if answer is True:
            wire = default_response("CentralSystem", action)
        else:
            wire = json.loads(json.dumps(answer).replace('"{now}"', json.dumps(_now_iso())))
        return self.protocol.decode_response(action, wire)

    # ------------------------------------------------------------ connections

    def _make_bridge(self, identity, link):
        return BridgeChargePoint(identity, link, self, queue_limit=self.command_queue_limit)

    async def _identity_allowed(self, identity):
        problem = self.topics.identity_problem(identity)
        if problem is not None:
            _LOG.warning("refused: %s", problem)
            return False
        if self._user_identity_check is not None:
            allowed = self._user_identity_check(identity)
            if asyncio.iscoroutine(allowed):
                allowed = await allowed
            return allowed
        return True

    async def _connected(self, charge_point, link):
        identity = charge_point.id
        self._bridges[identity] = charge_point
        self._links[identity] = link
        self._replaced.pop(identity, None)
        since = _now_iso()
        self._since[identity] = since
        self._status[identity] = ("online", self.gateway_id, since)
        # SUBSCRIBE before the status PUBLISH on one connection: whoever
        # sees "online" can already reach the charge point.
        self.mqtt.subscribe(self.topics.downstream(identity))
        self._leave_desk(identity)
        self.publish(
            self.topics.status(identity), self._status_message("online", since), retain=True
        )
        if self._user_on_connect is not None:
            await _maybe_await(self._user_on_connect(charge_point, link))

    async def _disconnected(self, charge_point, link):
        identity = charge_point.id
        if self._bridges.get(identity) is charge_point:
            del self._bridges[identity]
            self._links.pop(identity, None)
            # the desk takes over before the direct subscription ends, so
            # no command falls between the two
            self._join_desk(identity)
            self.mqtt.unsubscribe(self.topics.downstream(identity))
            since = self._since.pop(identity, None)
            if not self._replaced.pop(identity, False):
                now = _now_iso()
                self._status[identity] = ("offline", self.gateway_id, now)
                reason = "connection closed (%s %s)" % (link.close_code, link.close_reason or "")
                self.publish(
                    self.topics.status(identity),
                    self._status_message("offline", now, reason.strip()),
                    retain=True,
                )
            elif since is not None:
                _LOG.info("%s: connection here replaced by one at another gateway", identity)
        if self._user_on_disconnect is not None:
            await _maybe_await(self._user_on_disconnect(charge_point, link))

    def _broker_connected(self, resumed):
        """After a reconnect: our retained state may be gone or stale (our
        will may have fired), so say again what holds."""
        if not self._started:
            return  # start() says "online" once it listens
        self.publish(
            self.topics.gateway_status(self.gateway_id), self._gateway_status("online"), retain=True
        )
        for identity in list(self._bridges):
            since = self._since.get(identity)
            if since is not None:
                self.publish(
                    self.topics.status(identity),
                    self._status_message("online", since),
                    retain=True,
                )

    # ------------------------------------------------------------ MQTT input

    def _received(self, topic, payload):
        route = self._routes.get(topic)
        if route is None:
            route = self._route(topic)
        kind, name = route
        if kind == "down":
            bridge = self._bridges.get(name)
            if bridge is not None:
                self._service_message(bridge, payload)
            else:
                self._desk(name, topic, payload)
        elif kind == "status":
            self._status_received(name, payload)
        elif kind == "gateway":
            self._gateway_status_received(name, payload)
        else:
            _LOG.info("message on unexpected topic %s dropped", topic)

    def _route(self, topic):
        """What a topic is: ("status", cid), ("gateway", id), ("down",
        cid) or ("other", None); remembered (bounded) since a charge
        point's few topics come again and again."""
        topics = self.topics
        identity = topics.cid_of("status", topic)
        if identity is not None:
            route = ("status", identity)
        else:
            gateway = topics.gateway_of(topic)
            if gateway is not None:
                route = ("gateway", gateway)
            else:
                identity = topics.cid_of("downstream", topic)
                route = ("other", None) if identity is None else ("down", identity)
        if len(self._routes) >= ROUTE_MEMORY:
            self._routes.clear()
        self._routes[topic] = route
        return route

    def _decode(self, identity, payload):
        try:
            return codec.decode(payload)
        except codec.ServiceMessageError as refused:
            self.notify(
                identity,
                refused.unique_id,
                refused.action,
                refused.reason,
                refused.description,
                field=refused.field,
                rule=refused.rule,
                code=refused.code,
            )
            return None

    def _service_message(self, bridge, payload):
        message = self._decode(bridge.id, payload)
        if message is None:
            return
        if message.message_type == codec.CALL:
            request = self._check_call(bridge.id, message)
            if request is not None:
                bridge.service_call(message, request)
        else:
            bridge.service_answer(message)

    def _check_call(self, identity, message):
        """The typed request of a service's CALL, or None (refused, said so)."""
        protocol = self.protocol
        action = message.action
        entry = protocol.ACTIONS.get(action)
        if entry is None:
            self.notify(
                identity,
                message.unique_id,
                action,
                "invalid",
                "Action %r is not an OCPP 1.6 action" % action,
                field="Action",
                rule="enum (OCPP 1.6 actions)",
                code="NotImplemented",
            )
            return None
        if entry[0] == "ChargePoint":
            self.notify(
                identity,
                message.unique_id,
                action,
                "invalid",
                "Action %s is sent by a charge point, not to one" % action,
                field="Action",
                rule="initiated by the central system",
                code="NotSupported",
            )
            return None
        try:
            protocol.validate_request(action, message.payload)
            return protocol.decode_request(action, message.payload)
        except protocol.ValidationError as invalid:
            self.refuse_payload(identity, message, action, invalid, "req")
            return None

    # ------------------------------------------------------------ fleet state

    def _status_received(self, identity, payload):
        if not payload:
            self._status.pop(identity, None)
            return
        try:
            document = json.loads(payload)
            state = (document["status"], document["gateway"], document["since"])
        except (ValueError, KeyError, TypeError):
            _LOG.info("%s: status message not understood: %r", identity, payload[:200])
            return
        self._status[identity] = state
        status, gateway, since = state
        if status == "online":
            self._leave_desk(identity)
            if self._kept.get(identity):
                self._release_kept(identity)
        elif identity not in self._bridges:
            self._join_desk(identity)
        mine = self._since.get(identity)
        if mine is None or identity not in self._bridges or gateway == self.gateway_id:
            return
        if status == "online" and since > mine:
            # a newer connection of this charge point at another gateway
            self._replaced[identity] = True
            self._spawn(
                self._links[identity].close(
                    1000, "replaced by a connection at gateway %s" % gateway
                )
            )
            return
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._reclaimed.get(identity, -RECLAIM_INTERVAL) >= RECLAIM_INTERVAL:
            self._reclaimed[identity] = loop_time
            self._status[identity] = ("online", self.gateway_id, mine)
            self.publish(
                self.topics.status(identity), self._status_message("online", mine), retain=True
            )

    def _gateway_status_received(self, gateway, payload):
        try:
            status = json.loads(payload)["status"] if payload else "offline"
        except (ValueError, KeyError, TypeError):
            return
        self._gateways[gateway] = status
        if status != "offline":
            return
        if gateway == self.gateway_id:
            if self.mqtt.connected and not self.mqtt._closing:
                # our will fired while we were away: we are back
                self._broker_connected(False)
            return
        self._spawn(self._sweep(gateway))

    async def _sweep(self, gateway):
        """Mark the charge points a dead gateway held offline."""
        await asyncio.sleep(random.random() * SWEEP_DELAY)
        if self._gateways.get(gateway) != "offline":
            return
        now = _now_iso()
        for identity, (status, holder, _) in list(self._status.items()):
            if status == "online" and holder == gateway and identity not in self._bridges:
                self._status[identity] = ("offline", gateway, now)
                self.publish(
                    self.topics.status(identity),
                    _json(
                        {
                            "status": "offline",
                            "gateway": gateway,
                            "since": now,
                            "reason": "gateway %s went offline" % gateway,
                        }
                    ),
                    retain=True,
                )

    # ------------------------------------------------------------ offline desk

    def _join_desk(self, identity):
        """Take a share of an offline charge point's downstream topic."""
        if self.offline_desk and identity not in self._desk_members:
            self._desk_members[identity] = True
            self.mqtt.subscribe(self._desk_filter(identity))

    def _leave_desk(self, identity):
        if self._desk_members.pop(identity, None):
            self.mqtt.unsubscribe(self._desk_filter(identity))

    def _desk_filter(self, identity):
        return "$share/%s/%s" % (self.desk_group, self.topics.downstream(identity))

    def _desk(self, identity, topic, payload):
        """A downstream message for a charge point not held here (the
        offline desk's share, or a race with a disconnect)."""
        status = self._status.get(identity)
        if status is not None and status[0] == "online" and status[1] != self.gateway_id:
            if self._gateways.get(status[1]) != "offline":
                return  # its gateway has it
        message = self._decode(identity, payload)
        if message is None:
            return
        if message.message_type != codec.CALL:
            self.notify(
                identity,
                message.unique_id,
                message.action,
                "unknown-call",
                "%s is not connected: no CALL %s waits for this answer"
                % (identity, message.unique_id),
            )
            return
        if self._check_call(identity, message) is None:
            return
        if self.offline == "error":
            self.notify(
                identity,
                message.unique_id,
                message.action,
                "offline",
                "%s is not connected" % identity,
            )
            return
        for kept in self._kept.get(identity, ()):
            if kept.unique_id == message.unique_id:
                return  # a duplicate delivery
        if self._kept_count >= self.offline_limit:
            self.notify(
                identity,
                message.unique_id,
                message.action,
                "queue-full",
                "%s is not connected and %d commands are kept already"
                % (identity, self._kept_count),
            )
            return
        timer = asyncio.get_running_loop().call_later(
            self.offline_ttl, self._expire_kept, identity, message.unique_id
        )
        self._kept[identity].append(_Kept(topic, payload, message.unique_id, message.action, timer))
        self._kept_count += 1

    def _expire_kept(self, identity, unique_id):
        kept = self._kept.get(identity, [])
        for index, item in enumerate(kept):
            if item.unique_id == unique_id:
                del kept[index]
                self._kept_count -= 1
                if not kept:
                    self._kept.pop(identity, None)
                self.notify(
                    identity,
                    unique_id,
                    item.action,
                    "expired",
                    "%s did not connect within %ss" % (identity, self.offline_ttl),
                )
                return

    def _release_kept(self, identity):
        """The charge point is back: its kept commands go out again, on
        their own topics, to whichever gateway holds it now."""
        for item in self._kept.pop(identity, []):
            item.timer.cancel()
            self._kept_count -= 1
            self.publish(item.topic, item.payload)

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _maybe_await(value):
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value
