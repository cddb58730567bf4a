"""``ocppj gateway`` (also ``python -m ocppj_aio.gateway``): the command
line of the gateway.

    ocppj gateway --broker mqtt://127.0.0.1:1883 --port 9000 [--topics emqx5]
                  [--workers 4] [--security-profile 2 --certfile ... --password ...]

``--workers N`` starts N processes on one port (SO_REUSEPORT: the kernel
spreads new connections over them), each a gateway of its own on the
broker (ids ``<gateway-id>-w1`` ... ``-wN``), and restarts one that dies.
"""

import argparse
import asyncio
import hmac
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Callable

from ocppj.errors import UsageError

from .mqtt import PROTOCOLS, BrokerError, BrokerSettings
from .topics import PRESETS, TopicError, TopicScheme

_LOG = logging.getLogger("ocppj.gateway")

# A worker that dies is started again after this many seconds.
WORKER_RESTART_DELAY = 1.0


class GatewayUsageError(UsageError):
    """An option that cannot work (one line: which and why)."""


def add_arguments(parser):
    """The gateway's options on an argparse parser."""
    listen = parser.add_argument_group("charge points (OCPP-J over WebSocket)")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on")
    listen.add_argument(
        "--port", type=int, default=9000, help="port to listen on; 0 picks a free port"
    )
    listen.add_argument(
        "--security-profile",
        type=int,
        choices=(0, 1, 2, 3),
        default=0,
        help="OCPP security profile: 0 none, 1 Basic auth, 2 TLS + Basic auth,"
        " 3 TLS with client certificates",
    )
    listen.add_argument(
        "--password", help="the Basic auth password charge points send (profiles 1 and 2)"
    )
    listen.add_argument(
        "--password-file",
        help="a file of per-charge-point keys, '<identity> <key>' a line (profiles 1 and 2;"
        " see ocppj_aio.security.PasswordFile)",
    )
    listen.add_argument("--certfile", help="the gateway's certificate chain, PEM (profiles 2, 3)")
    listen.add_argument("--keyfile", help="the key of --certfile, PEM")
    listen.add_argument("--cafile", help="the CA that signs charge point certificates (profile 3)")
    listen.add_argument(
        "--ping-interval", type=float, default=20, help="seconds between WebSocket pings"
    )
    listen.add_argument(
        "--reuse-port",
        action="store_true",
        help="share --port with other gateway processes on this machine (SO_REUSEPORT)",
    )
    listen.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving one port (SO_REUSEPORT); needs a fixed --port",
    )

    broker = parser.add_argument_group("MQTT broker")
    broker.add_argument(
        "--broker",
        default="mqtt://127.0.0.1:1883",
        help="mqtt://host:port or mqtts://host:port (user:password@ allowed)",
    )
    broker.add_argument("--mqtt-username", help="user name at the broker")
    broker.add_argument("--mqtt-password", help="password at the broker")
    broker.add_argument("--mqtt-cafile", help="CA of the broker's certificate (mqtts://)")
    broker.add_argument("--mqtt-certfile", help="client certificate for the broker, PEM")
    broker.add_argument("--mqtt-keyfile", help="key of --mqtt-certfile, PEM")
    broker.add_argument(
        "--mqtt-protocol", choices=sorted(PROTOCOLS), default="5", help="MQTT version"
    )
    broker.add_argument(
        "--client-id", help="MQTT client id (default: ocppj-gw-<host>-<pid>, unique per process)"
    )
    broker.add_argument(
        "--gateway-id",
        help="name in status messages and the gateway status topic (default: the client id)",
    )
    broker.add_argument(
        "--broker-wait",
        type=float,
        default=10,
        help="seconds to wait at start for a broker that refuses connections (still starting)",
    )
    broker.add_argument(
        "--session-expiry",
        type=int,
        default=300,
        help="seconds the broker keeps our session while we are away (MQTT 5)",
    )

    topics = parser.add_argument_group("topics")
    topics.add_argument(
        "--topics", choices=sorted(PRESETS), default="emqx4", help="topic preset (EMQX layout)"
    )
    topics.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="NAME=TEMPLATE",
        help="replace one template of the preset: upstream, reply, error, downstream,"
        " status, gateway_error, gateway_status (repeatable)",
    )
    topics.add_argument(
        "--upstream-topic",
        action="append",
        default=[],
        metavar="ACTION=TEMPLATE",
        help="upstream topic for one action's CALLs, e.g."
        " BootNotification=ocpp/cp/${cid}/Notify/${action} (repeatable)",
    )

    behaviour = parser.add_argument_group("behaviour")
    behaviour.add_argument(
        "--call-timeout",
        type=float,
        default=30,
        help="seconds a charge point's CALL waits for a service's answer",
    )
    behaviour.add_argument(
        "--command-timeout",
        type=float,
        default=30,
        help="seconds a service's CALL waits for the charge point's answer (queued time in)",
    )
    behaviour.add_argument(
        "--command-queue", type=int, default=16, help="service CALLs queued per charge point"
    )
    behaviour.add_argument(
        "--fallback",
        action="append",
        default=[],
        metavar="ACTION[=JSON]",
        help="answer a CALL no service answered in time with this payload instead of"
        " InternalError; without =JSON a default answer ('{now}' is the current time),"
        " e.g. --fallback Heartbeat (repeatable)",
    )
    behaviour.add_argument(
        "--offline",
        choices=("error", "keep"),
        default="error",
        help="a command for an offline charge point: answered at once with an error,"
        " or kept until it connects (up to --offline-ttl)",
    )
    behaviour.add_argument(
        "--offline-ttl", type=float, default=300, help="seconds a kept command waits"
    )
    behaviour.add_argument(
        "--no-offline-desk",
        action="store_true",
        help="take no share of offline charge points' commands (they then get no answer)",
    )
    behaviour.add_argument(
        "--duration",
        type=float,
        default=0,
        help="stop after this many seconds; 0 runs until Ctrl-C or SIGTERM",
    )
    parser.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
    return parser


# ------------------------------------------------------------ options -> objects


def _pairs(values, option):
    pairs = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise GatewayUsageError("%s %r: write NAME=VALUE" % (option, value))
        pairs[name] = rest
    return pairs


def topic_scheme(args):
    try:
        return TopicScheme(
            args.topics,
            overrides=_pairs(args.upstream_topic, "--upstream-topic"),
            **_pairs(args.topic, "--topic"),
        )
    except TopicError as bad:
        raise GatewayUsageError(str(bad)) from None


def fallback_answers(args, protocol):
    answers = {}
    for value in args.fallback:
        action, sep, text = value.partition("=")
        if action not in protocol.ACTIONS:
            raise GatewayUsageError("--fallback %s: not an OCPP 1.6 action" % action)
        if not sep:
            answers[action] = True
            continue
        try:
            answers[action] = json.loads(text)
        except ValueError as bad:
            raise GatewayUsageError(
                "--fallback %s: the payload is not JSON: %s" % (action, bad)
            ) from None
    return answers


def broker_settings(args):
    suffix = "-w%d" % args.worker_index if args.worker_index else ""
    client_id = args.client_id + suffix if args.client_id else None
    try:
        return BrokerSettings.from_url(
            args.broker,
            username=args.mqtt_username,
            password=args.mqtt_password,
            cafile=args.mqtt_cafile,
            certfile=args.mqtt_certfile,
            keyfile=args.mqtt_keyfile,
            protocol=args.mqtt_protocol,
            client_id=client_id,
            session_expiry=args.session_expiry,
        )
    except BrokerError as bad:
        raise GatewayUsageError(str(bad)) from None


def _server_security(args):
    """(ssl_context, authenticator) for the WebSocket side."""
    from .. import security

    profile = args.security_profile
    ssl_context = None
    if profile in (2, 3):
        if not args.certfile:
            raise GatewayUsageError(
                "security profile %d needs --certfile (and --keyfile)" % profile
            )
        if profile == 3 and not args.cafile:
            raise GatewayUsageError("security profile 3 needs --cafile (the charge points' CA)")
        try:
            ssl_context = security.server_ssl_context(
                args.certfile,
                args.keyfile,
                cafile=args.cafile,
                require_client_certificate=profile == 3,
            )
        except (OSError, ValueError) as bad:
            raise GatewayUsageError("cannot load the TLS files: %s" % bad) from None
    # (identity, password bytes) -> bool, or an awaitable of it
    authenticator: Callable[[str, bytes], Any] | None = None
    if profile in (1, 2):
        if (args.password is None) == (args.password_file is None):
            raise GatewayUsageError(
                "security profile %d needs one credential source: --password (one key for"
                " all) or --password-file (a key per charge point)" % profile
            )
        if args.password_file is not None:
            try:
                authenticator = security.PasswordFile(args.password_file)
            except (OSError, ValueError) as bad:
                raise GatewayUsageError("--password-file: %s" % bad) from None
        else:
            expected = args.password.encode("utf-8")

            def same_password(identity, password):
                return hmac.compare_digest(password, expected)

            authenticator = same_password

    return ssl_context, authenticator


def build_gateway(args):
    from ocpp16 import protocol

    from .gateway import Gateway

    if args.workers > 1 and args.port == 0:
        raise GatewayUsageError("--workers needs a fixed --port (0 would give each its own)")
    ssl_context, authenticator = _server_security(args)
    settings = broker_settings(args)
    gateway_id = args.gateway_id
    if gateway_id and args.worker_index:
        gateway_id = "%s-w%d" % (gateway_id, args.worker_index)
    return Gateway(
        protocol=protocol,
        broker=settings,
        topics=topic_scheme(args),
        gateway_id=gateway_id,
        call_timeout=args.call_timeout,
        command_timeout=args.command_timeout,
        command_queue_limit=args.command_queue,
        fallback_answers=fallback_answers(args, protocol),
        offline=args.offline,
        offline_ttl=args.offline_ttl,
        offline_desk=not args.no_offline_desk,
        host=args.host,
        port=args.port,
        security_profile=args.security_profile,
        ssl_context=ssl_context,
        authenticator=authenticator,
        ping_interval=args.ping_interval,
        reuse_port=args.reuse_port or args.workers > 1 or args.worker_index > 0,
    )


# ------------------------------------------------------------ running


def run(args, argv=None):
    """Run the gateway (or its workers); the exit status."""
    if args.workers < 1:
        raise GatewayUsageError("--workers is 1 or more")
    if args.workers > 1 and args.worker_index == 0:
        build_gateway(args)  # options checked once, here, before any worker starts
        return supervise(args, argv if argv is not None else sys.argv[1:])
    return asyncio.run(_serve(args))


async def _serve(args):
    from ..cli import tune_gc

    gateway = build_gateway(args)
    await gateway.start(broker_wait=args.broker_wait)
    tune_gc()
    say(
        "gateway %s: charge points at %s/<identity>, broker %s, topics %s"
        % (
            gateway.gateway_id,
            gateway.url(),
            gateway.broker.describe(),
            gateway.topics.preset,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signal_number, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        try:
            await asyncio.wait_for(stop.wait(), args.duration or None)
        except asyncio.TimeoutError:
            pass
    finally:
        await gateway.close()
        say("gateway %s stopped" % gateway.gateway_id)
    return 0


def say(text):
    sys.stdout.write("[gw] %s\n" % text)
    sys.stdout.flush()


def worker_command(argv, index):
    """The command line of worker ``index`` (1-based) from the parent's."""
    rest = []
    skip = False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == "--workers":
            skip = True
            continue
        if item.startswith("--workers="):
            continue
        rest.append(item)
    if rest and rest[0] == "gateway":
        rest = rest[1:]
    return (
        [sys.executable, "-m", "ocppj_aio.gateway"]
        + rest
        + [
            "--worker-index",
            str(index),
            "--workers",
            "1",
        ]
    )


def supervise(args, argv):
    """Start ``args.workers`` gateway processes on one port; start one
    again when it dies; stop them all on SIGINT/SIGTERM (or --duration)."""
    # a shared default gateway id keeps the workers' names related
    if args.gateway_id is None and args.client_id is None:
        base = "ocppj-gw-%s-%d" % (socket.gethostname()[:40], os.getpid())
        argv = list(argv) + ["--gateway-id", base, "--client-id", base]
    stopping = []

    def stop(signal_number, frame):
        stopping.append(signal_number)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    workers = {}
    deadline = time.monotonic() + args.duration if args.duration else None
    try:
        for index in range(1, args.workers + 1):
            workers[index] = subprocess.Popen(worker_command(argv, index))
        say("%d workers on port %d" % (args.workers, args.port))
        while not stopping and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.2)
            for index, process in list(workers.items()):
                if process.poll() is not None and not stopping:
                    say("worker %d exited with %s: starting it again" % (index, process.returncode))
                    time.sleep(WORKER_RESTART_DELAY)
                    workers[index] = subprocess.Popen(worker_command(argv, index))
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in workers.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def main(argv=None):
    """``python -m ocppj_aio.gateway``: one-line errors, exit 2 for usage
    errors, 1 for failures."""
    if argv is None:
        argv = sys.argv[1:]
    parser = argparse.ArgumentParser(
        prog="ocppj gateway",
        description="OCPP-J charge points to MQTT services in EMQX's format",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log runtime details")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return run_reporting(args, argv)


def run_reporting(args, argv):
    try:
        return run(args, argv)
    except KeyboardInterrupt:
        return 130
    except GatewayUsageError as bad:
        sys.stderr.write("ocppj gateway: error: %s\n" % bad)
        return 2
    except (BrokerError, OSError) as failed:
        if getattr(args, "verbose", False):
            raise
        sys.stderr.write("ocppj gateway: error: %s\n" % failed)
        return 1
