"""The gateway's MQTT session: one broker connection on gmqtt.

Why gmqtt (docs/gateway.md has the figures): it is an asyncio protocol
with no thread, its ``publish`` only writes (QoS 1 acknowledgements are
matched as they come, unacknowledged messages are kept and sent again on
reconnect), it speaks MQTT 3.1.1 and 5 and reconnects by itself. aiomqtt
on paho-mqtt awaits each acknowledgement with an event of its own and
reads through paho's socket loop: about ten times the CPU per message in
bench/gateway's comparison.

What this module adds on top:

* ``BrokerSettings.from_url("mqtt://host:port")`` / ``mqtts://`` with user,
  password, CA, client certificate, protocol 3.1.1 or 5;
* QoS 1 both ways and a persistent session: a process starts clean (a
  restarted gateway must not inherit the subscriptions of charge points it
  no longer holds), every reconnect resumes the session
  (``clean_session=False``; MQTT 5 with ``session_expiry``), so the broker
  keeps what it acknowledged and what it queued for us. A broker that lost
  the session (no persistence) gets our subscriptions again;
* bounded buffers: messages published while the broker is away wait in a
  bounded backlog (``max_backlog``) and leave once it is back; beyond that,
  and while ``max_unacked`` QoS 1 messages wait for their PUBACK,
  ``publish`` refuses (returns False) and ``congested`` is True, so the
  caller can answer a charge point itself instead of piling up messages;
* a will message (the gateway's status, retained).
"""

import asyncio
import collections
import itertools
import logging
import os
import socket
import ssl
import urllib.parse

_LOG = logging.getLogger("ocppj.gateway.mqtt")

PROTOCOLS = {"3.1.1": 4, "5": 5}
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


class BrokerError(Exception):
    """The broker cannot be used as configured (one line: what and why).
    ``unreachable``: nothing answered at its address (worth waiting for)."""

    def __init__(self, message, unreachable=False):
        super().__init__(message)
        self.unreachable = unreachable


class BrokerSettings:
    def __init__(
        self,
        host="127.0.0.1",
        port=1883,
        tls=False,
        username=None,
        password=None,
        cafile=None,
        certfile=None,
        keyfile=None,
        check_hostname=True,
        protocol="5",
        client_id=None,
        keepalive=30,
        session_expiry=300,
        reconnect_delay=1.0,
    ):
        if protocol not in PROTOCOLS:
            raise BrokerError(
                "MQTT protocol %r: use %s" % (protocol, " or ".join(sorted(PROTOCOLS)))
            )
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.cafile = cafile
        self.certfile = certfile
        self.keyfile = keyfile
        self.check_hostname = check_hostname
        self.protocol = protocol
        self.client_id = client_id or default_client_id()
        self.keepalive = keepalive
        self.session_expiry = session_expiry
        self.reconnect_delay = reconnect_delay

    @classmethod
    def from_url(cls, url, **options):
        """``mqtt://[user[:password]@]host[:port]`` or ``mqtts://...``;
        keyword arguments set the rest (and win over the URL's user)."""
        parsed = urllib.parse.urlsplit(url)
        scheme = parsed.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise BrokerError("broker URL %r: use mqtt://host:port or mqtts://host:port" % url)
        if not parsed.hostname:
            raise BrokerError("broker URL %r has no host" % url)
        try:
            port = parsed.port or DEFAULT_PORTS[scheme]
        except ValueError:
            raise BrokerError("broker URL %r has a port that is not a number" % url) from None
        settings = {
            "host": parsed.hostname,
            "port": port,
            "tls": scheme == "mqtts",
            "username": urllib.parse.unquote(parsed.username) if parsed.username else None,
            "password": urllib.parse.unquote(parsed.password) if parsed.password else None,
        }
        for key, value in options.items():
            if value is not None or key not in settings:
                settings[key] = value
        return cls(**settings)

    def ssl_context(self):
        if not self.tls:
            return False
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            if self.cafile:
                context.load_verify_locations(self.cafile)
            if self.certfile:
                context.load_cert_chain(self.certfile, self.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise BrokerError("TLS files for the broker: %s" % exc) from exc
        context.check_hostname = self.check_hostname
        return context

    def describe(self):
        return "%s://%s:%d (MQTT %s, client id %s)" % (
            "mqtts" if self.tls else "mqtt",
            self.host,
            self.port,
            self.protocol,
            self.client_id,
        )


_instances = itertools.count(1)


def default_client_id():
    """Unique on this machine: host name, process id and, past the first
    session of a process, a counter (two clients with one id would keep
    taking the session from each other)."""
    number = next(_instances)
    base = "ocppj-gw-%s-%d" % (socket.gethostname()[:40], os.getpid())
    return base if number == 1 else "%s-%d" % (base, number)


class MQTTSession:
    """One broker connection. ``on_message(topic, payload bytes)`` is
    called for each message (sync, on the event loop); ``on_connected(
    resumed)`` after every (re)connect, ``resumed`` telling whether the
    broker still had our session."""

    def __init__(
        self,
        settings,
        on_message,
        on_connected=None,
        will=None,
        max_unacked=10000,
        max_backlog=10000,
    ):
        self.settings = settings
        self._on_message = on_message
        self._on_connected = on_connected
        self._will = will  # (topic, payload bytes) published retained on a lost connection
        self.max_unacked = max_unacked
        self.max_backlog = max_backlog
        self._client = None
        self._filters = {}  # subscription filter -> True
        self._unsubscribe_later = []  # dropped while the broker was away
        self._backlog = collections.deque()
        self.connected = False
        self.ever_connected = False
        self.dropped = 0  # publishes refused while congested
        self._lost_early = None  # set when a connection drops before CONNACK
        self._closing = False

    # ------------------------------------------------------------ lifecycle

    async def start(self, timeout=10, wait=0):
        """Connect; raises BrokerError with the reason when the broker
        refuses us, or cannot be reached within ``wait`` seconds (a
        broker starting beside us: tried again every half second)."""
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            try:
                return await self._start(timeout)
            except BrokerError as failed:
                if not failed.unreachable or asyncio.get_running_loop().time() >= deadline:
                    raise
                await asyncio.sleep(0.5)

    async def _start(self, timeout):
        # First a clean session, so nothing of an earlier process with this
        # client id carries over; then the session we keep. (Mosquitto
        # saves to disk only sessions that did not start clean, so the
        # second connection is the one a broker restart preserves.)
        await self._connect(self._make_client(clean=True), timeout)
        await self._end_session(self._client)
        await self._connect(self._make_client(clean=False, will=self._will), timeout)
        return self

    def _make_client(self, clean, will=None):
        import gmqtt
        from gmqtt.mqtt.constants import MQTTv50

        settings = self.settings
        if will is not None:
            will = gmqtt.Message(will[0], will[1], qos=1, retain=True)
        properties = {}
        if PROTOCOLS[settings.protocol] == MQTTv50:
            properties["session_expiry_interval"] = int(settings.session_expiry)
        client = gmqtt.Client(
            settings.client_id,
            clean_session=clean,
            will_message=will,
            logger=logging.getLogger("ocppj.gateway.gmqtt"),
            **properties,
        )
        client.set_config({"reconnect_retries": -1, "reconnect_delay": settings.reconnect_delay})
        if settings.username is not None:
            client.set_auth_credentials(settings.username, settings.password)
        client.on_disconnect = self._disconnected
        if not clean:
            client.on_message = self._received
            client.on_connect = self._connected
        return client

    async def _connect(self, client, timeout):
        settings = self.settings
        self._client = client
        loop = asyncio.get_running_loop()
        # gmqtt reconnects by itself when the broker drops the connection
        # before CONNACK (TLS refused, mqtt:// to a TLS port): at start-up
        # that is an error to report, not to retry
        self._lost_early = loop.create_future()
        connecting = asyncio.ensure_future(
            client.connect(
                settings.host,
                settings.port,
                ssl=settings.ssl_context(),
                keepalive=settings.keepalive,
                version=PROTOCOLS[settings.protocol],
            )
        )
        try:
            done, _ = await asyncio.wait(
                {connecting, self._lost_early}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if connecting in done:
                connecting.result()
            elif done:
                raise BrokerError(
                    "broker %s closed the connection before accepting it: check mqtt:// against"
                    " mqtts://, the CA and the client certificate, and the broker's log"
                    % settings.describe()
                )
            else:
                raise asyncio.TimeoutError()
        except asyncio.TimeoutError:
            await self._give_up()
            raise BrokerError(
                "broker %s did not answer within %ss" % (settings.describe(), timeout)
            ) from None
        except (OSError, ssl.SSLError) as exc:
            await self._give_up()
            raise BrokerError(
                "cannot reach broker %s: %s" % (settings.describe(), exc),
                unreachable=isinstance(exc, ConnectionRefusedError),
            ) from exc
        except BrokerError:
            await self._give_up()
            raise
        except Exception as exc:  # gmqtt's CONNACK refusals
            await self._give_up()
            raise BrokerError(
                "broker %s refused the connection: %s" % (settings.describe(), exc)
            ) from exc
        finally:
            if not connecting.done():
                connecting.cancel()

    async def _end_session(self, client):
        """Disconnect ``client`` and have the broker drop its session."""
        client.stop_reconnect()
        if PROTOCOLS[self.settings.protocol] == 5:
            await client.disconnect(session_expiry_interval=0)
        else:
            await client.disconnect()  # a clean_session=True session ends with it
        for _ in range(3):
            await asyncio.sleep(0)

    async def _give_up(self):
        client = self._client
        if client is None:
            return
        client.stop_reconnect()
        try:
            await client.disconnect()
        except Exception:
            pass

    async def close(self):
        """Disconnect cleanly (the broker drops the will) and end the
        session: nothing is queued for a gateway that left."""
        self._closing = True
        client = self._client
        if client is None:
            return
        # let the last publishes reach the socket before DISCONNECT
        await asyncio.sleep(0)
        try:
            if PROTOCOLS[self.settings.protocol] == 5:
                await asyncio.wait_for(self._end_session(client), 5)
            else:
                await asyncio.wait_for(client.disconnect(), 5)
                # MQTT 3.1.1 ends a kept session only by a clean connection
                await self._connect(self._make_client(clean=True), 5)
                await self._end_session(self._client)
        except Exception as exc:
            _LOG.info("disconnecting from the broker: %s", exc)
        # gmqtt schedules a reconnect attempt on every lost connection; let
        # it run and see we left, rather than be cancelled with the loop
        for _ in range(3):
            await asyncio.sleep(0)

    # ------------------------------------------------------------ callbacks

    def _connected(self, client, flags, rc, properties):
        resumed = bool(flags)
        self.connected = True
        first = not self.ever_connected
        self.ever_connected = True
        if not first:
            _LOG.warning(
                "broker %s: connected again (%s)",
                self.settings.describe(),
                "session resumed" if resumed else "session lost: subscribing again",
            )
        if not first:
            # Subscribing again is harmless when the session was kept and
            # needed when it was not; what was dropped while away goes too.
            for subscription in list(client.subscriptions):
                client.resubscribe(subscription)
            for topic_filter in self._unsubscribe_later:
                client.unsubscribe(topic_filter)
        self._unsubscribe_later = []
        while self._backlog and self.connected:
            topic, payload, retain = self._backlog.popleft()
            client.publish(topic, payload, qos=1, retain=retain)
        if self._on_connected is not None:
            try:
                self._on_connected(resumed and not first)
            except Exception:
                _LOG.exception("on_connected failed")

    def _disconnected(self, client, packet, exc=None):
        if self._lost_early is not None and not self._lost_early.done() and not client.is_connected:
            self._lost_early.set_result(None)
        if self.connected and not self._closing:
            _LOG.warning("broker %s: connection lost", self.settings.describe())
        self.connected = False

    def _received(self, client, topic, payload, qos, properties):
        try:
            self._on_message(topic, payload)
        except Exception:
            _LOG.exception("handling MQTT message on %s failed", topic)
        return 0

    # ------------------------------------------------------------ use

    @property
    def unacked(self):
        """QoS 1 messages sent and not acknowledged yet."""
        if self._client is None:
            return 0
        return len(self._client._persistent_storage._messages)

    @property
    def congested(self):
        """True when a publish now would be refused or would only wait."""
        if not self.connected:
            return len(self._backlog) >= self.max_backlog
        return self.unacked >= self.max_unacked

    def publish(self, topic, payload, retain=False):
        """Publish at QoS 1; False (and nothing sent) when congested."""
        if not self.connected:
            if len(self._backlog) >= self.max_backlog:
                self.dropped += 1
                return False
            self._backlog.append((topic, payload, retain))
            return True
        if self.unacked >= self.max_unacked:
            self.dropped += 1
            return False
        self._client.publish(topic, payload, qos=1, retain=retain)
        return True

    def subscribe(self, topic_filter):
        """Subscribe at QoS 1 (now, or once the broker is back)."""
        if topic_filter in self._filters:
            return
        self._filters[topic_filter] = True
        if self.connected:
            self._client.subscribe(topic_filter, qos=1)
        else:
            # remembered by gmqtt, sent by _connected
            self._client.update_subscriptions_with_subscription_or_topic(
                topic_filter, 1, False, False, 0, {}
            )

    def unsubscribe(self, topic_filter):
        if self._filters.pop(topic_filter, None) is None:
            return
        if self.connected:
            self._client.unsubscribe(topic_filter)
        else:
            self._client._remove_subscriptions(topic_filter)
            self._unsubscribe_later.append(topic_filter)
