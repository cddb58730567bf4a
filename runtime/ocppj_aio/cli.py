"""The ``ocppj`` command (CPython only; installed by pyproject's scripts).

    ocppj serve [--host 127.0.0.1] [--port 9000] [--security-profile N] ...
        A demo central system: accepts any charge point, answers every CALL
        a charge point may send with a schema-valid response and prints
        each exchange. --no-gc-tuning keeps CPython's default garbage
        collector settings (see tune_gc).
    ocppj simulate URL [--id CP] ...
        A charge point simulator: boot, heartbeat, status, authorize,
        start transaction, meter values, stop transaction; answers every
        CALL a central system may send. URL ends with the identity unless
        --id is given.
    ocppj validate [FILE]
        OCPP-J frames, one per line (FILE or stdin). Per frame: "valid" or
        the CallError code a strict receiver answers with, and why.
        Exit status 1 when any frame is not valid.

This is application code: unlike the runtime it imports the generated
``ocpp16`` package.
"""

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
import time

from ocppj import framing
from ocppj.session import Session


def _protocol():
    from ocpp16 import protocol

    return protocol


# ------------------------------------------------------------------ validate

ROLE_NAMES = {
    "central-system": "CentralSystem",
    "charge-point": "ChargePoint",
    "any": None,
}


def validate_frame(protocol, text, role=None, calls=None):
    """Judge one frame as a strict receiver: ``(verdict, detail)`` where
    verdict is ``"valid"`` or a CallError code. ``calls`` maps the unique
    ids of CALLs seen so far to their action, so a CALLRESULT can be
    checked against that action's response schema."""
    if calls is None:
        calls = {}
    frame = framing.parse(text)
    if isinstance(frame, framing.Rejected):
        detail = frame.error.description
        if not frame.answerable:
            detail += " (a response: dropped, never answered with a CALLERROR)"
        return frame.error.code, detail
    if frame.message_type == framing.CALL:
        # A fresh session per frame gives exactly the session's verdict
        # (unknown action, direction, schema) without state between lines.
        if frame.action in protocol.ACTIONS and len(calls) < 10000:
            calls[frame.unique_id] = frame.action
        session = Session(protocol, role)
        for event in session.receive_text(text, 0):
            if event.kind == "CallReceived":
                return "valid", "CALL %s" % frame.action
            if event.kind == "FrameRejected":
                return event.error.code, event.error.description
        return "GenericError", "the receiver produced no verdict"
    if frame.message_type == framing.CALLRESULT:
        action = calls.pop(frame.unique_id, None)
        if action is None:
            return (
                "valid",
                "CALLRESULT (payload not checked: no CALL with id %s earlier in the input)"
                % (frame.unique_id),
            )
        try:
            protocol.validate_response(action, frame.payload)
        except protocol.ValidationError as invalid:
            path = invalid.path or "(payload)"
            return (
                invalid.code,
                "%s.conf: %s violates %s (a response: dropped, never answered)"
                % (
                    action,
                    path,
                    invalid.rule,
                ),
            )
        return "valid", "CALLRESULT %s.conf" % action
    action = calls.pop(frame.unique_id, None)
    from ocppj.errors import RECEIVED_SPELLINGS, error_class

    if error_class(frame.code) is None and frame.code not in RECEIVED_SPELLINGS:
        return (
            "valid",
            "CALLERROR with code %r, which is not in OCPP-J 1.6 table 7" % frame.code,
        )
    return "valid", "CALLERROR %s%s" % (
        frame.code,
        "" if action is None else " for " + action,
    )


def cmd_validate(args, out=sys.stdout):
    protocol = _protocol()
    role = ROLE_NAMES[args.role]
    handle = (
        sys.stdin
        if args.file in (None, "-")
        else open(args.file, "r", encoding="utf-8", errors="surrogateescape")
    )
    calls = {}
    bad = 0
    count = 0
    with handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            count += 1
            try:
                text = line.encode("utf-8", "surrogateescape") if _has_surrogates(line) else line
            except UnicodeError:
                text = line
            verdict, detail = validate_frame(protocol, text, role, calls)
            if verdict != "valid":
                bad += 1
            out.write("%d: %s: %s\n" % (number, verdict, detail))
    out.write("%d frames, %d valid, %d not valid\n" % (count, count - bad, bad))
    return 1 if bad else 0


def _has_surrogates(line):
    for character in line:
        if "\udc80" <= character <= "\udcff":
            return True
    return False


# ------------------------------------------------------------------ serve


def _say(prefix):
    def write(text):
        # one write per line: serve and simulate may share a terminal
        sys.stdout.write("%s %s\n" % (prefix, text))
        sys.stdout.flush()

    return write


def _server_tls(args):
    from . import security

    if args.security_profile not in (2, 3):
        return None
    if not args.certfile:
        raise SystemExit("security profiles 2 and 3 need --certfile (and --keyfile)")
    return security.server_ssl_context(
        args.certfile,
        args.keyfile,
        cafile=args.cafile,
        require_client_certificate=args.security_profile == 3,
    )


def tune_gc():
    """Make the cyclic garbage collector cheap for a long-running server.

    A load benchmark with 1,000 connections found 25-60% of the server's CPU
    in the collector: CPython's default first-generation threshold (700
    allocations) starts a collection every few messages, and each older
    collection walks every object of every connection. Freezing moves what
    start-up made (modules, classes, tables) out of the collector's sight for
    good, and a larger first threshold collects young objects less often;
    per-message garbage is almost all freed by reference counting anyway.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50000, 20, 10)


async def _serve(args):
    from .demo import TracingLink, answering_class
    from .server import CentralSystem

    protocol = _protocol()
    say = _say("[cs]")
    overrides = {"BootNotification": {"interval": args.heartbeat_interval}}
    answering = answering_class(protocol, "CentralSystem", overrides)

    def factory(identity, link):
        return answering(identity, TracingLink(link, "[cs] %s" % identity), protocol=protocol)

    async def any_password(identity, password):
        if args.password is None:
            return True
        return password == args.password.encode("utf-8")

    def connected(charge_point, link):
        say(
            "%s connected from %s:%s (%s, security profile %d)"
            % (
                charge_point.id,
                link.remote_address[0],
                link.remote_address[1],
                link.subprotocol,
                link.security_profile,
            )
        )

    def disconnected(charge_point, link):
        say("%s disconnected (%s %s)" % (charge_point.id, link.close_code, link.close_reason or ""))

    server = CentralSystem(
        factory,
        protocol=protocol,
        host=args.host,
        port=args.port,
        security_profile=args.security_profile,
        ssl_context=_server_tls(args),
        authenticator=any_password if args.security_profile in (1, 2) else None,
        on_connect=connected,
        on_disconnect=disconnected,
        subprotocols=(protocol.SUBPROTOCOL,) + tuple(args.accept_subprotocol),
    )
    await server.start()
    if args.gc_tuning:
        tune_gc()
    say("central system listening on %s/<identity>" % server.url())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signal_number, stop.set)
        except (NotImplementedError, RuntimeError):
            pass  # not on this platform: Ctrl-C still ends the process
    try:
        try:
            await asyncio.wait_for(stop.wait(), args.duration or None)
        except asyncio.TimeoutError:
            pass
    finally:
        await server.close()
        say("central system stopped")
    return 0


# ------------------------------------------------------------------ simulate


def _client_tls(args):
    from . import security

    if not args.url.lower().startswith("wss://"):
        return None
    return security.client_ssl_context(
        cafile=args.cafile,
        certfile=args.certfile,
        keyfile=args.keyfile,
        check_hostname=not args.no_check_hostname,
    )


async def _simulate(args):
    from .client import ChargePointClient
    from .demo import TracingLink, answering_class, utc_now

    protocol = _protocol()
    say = _say("[cp]")
    answering = answering_class(protocol, "ChargePoint")

    def request(action, wire):
        return protocol.decode_request(action, wire)

    def factory(identity, link):
        if not args.quiet:
            link = TracingLink(link, "[cp] %s" % identity)
        return answering(identity, link, protocol=protocol)

    def state_changed(old, new):
        say("%s: %s -> %s" % (client.identity, old, new))

    client = ChargePointClient(
        args.url,
        args.id,
        protocol=protocol,
        boot_notification=request(
            "BootNotification",
            {
                "chargePointVendor": "ocppj",
                "chargePointModel": "simulator",
                "firmwareVersion": "0.1.0",
            },
        ),
        charge_point_factory=factory,
        security_profile=args.security_profile,
        password=args.password,
        ssl_context=_client_tls(args),
        queue=args.queue,
        max_reconnects=args.max_reconnects,
        reconnect_max_delay=5,
        boot_retry_interval=args.boot_retry,
        on_state_change=state_changed,
    )
    connector = 1
    id_tag = args.id_tag
    await client.start()
    try:
        await _wait_accepted(client, args.timeout)
        await client.call(request("Heartbeat", {}))
        await client.call(
            request(
                "StatusNotification",
                {
                    "connectorId": connector,
                    "errorCode": "NoError",
                    "status": "Available",
                    "timestamp": utc_now(),
                },
            )
        )
        authorized = await client.call(request("Authorize", {"idTag": id_tag}))
        if (
            authorized is None
            or getattr(authorized.id_tag_info.status, "value", authorized.id_tag_info.status)
            != "Accepted"
        ):
            say("idTag %s not accepted; no transaction" % id_tag)
            return 1
        await client.call(
            request(
                "StatusNotification",
                {
                    "connectorId": connector,
                    "errorCode": "NoError",
                    "status": "Preparing",
                    "timestamp": utc_now(),
                },
            )
        )
        meter = 1000
        start = client.enqueue(
            request(
                "StartTransaction",
                {
                    "connectorId": connector,
                    "idTag": id_tag,
                    "meterStart": meter,
                    "timestamp": utc_now(),
                },
            )
        )
        started = await asyncio.wait_for(start, args.timeout)
        say("transaction %s started" % started.transaction_id)
        await client.call(
            request(
                "StatusNotification",
                {
                    "connectorId": connector,
                    "errorCode": "NoError",
                    "status": "Charging",
                    "timestamp": utc_now(),
                },
            )
        )
        for _ in range(args.meter_values):
            await asyncio.sleep(args.meter_interval)
            meter += 250
            sample = {
                "timestamp": utc_now(),
                "sampledValue": [
                    {
                        "value": str(meter),
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                        "context": "Sample.Periodic",
                    },
                    {
                        "value": "7400",
                        "measurand": "Power.Active.Import",
                        "unit": "W",
                        "context": "Sample.Periodic",
                    },
                ],
            }
            await asyncio.wait_for(
                client.enqueue(
                    request(
                        "MeterValues",
                        {
                            "connectorId": connector,
                            "transactionId": 0,
                            "meterValue": [sample],
                        },
                    ),
                    transaction=start.transaction,
                ),
                args.timeout,
            )
        stop = client.enqueue(
            request(
                "StopTransaction",
                {
                    "transactionId": 0,
                    "idTag": id_tag,
                    "meterStop": meter,
                    "timestamp": utc_now(),
                    "reason": "Local",
                },
            ),
            transaction=start.transaction,
        )
        await asyncio.wait_for(stop, args.timeout)
        await client.call(
            request(
                "StatusNotification",
                {
                    "connectorId": connector,
                    "errorCode": "NoError",
                    "status": "Available",
                    "timestamp": utc_now(),
                },
            )
        )
        say("scenario done")
        if args.stay:
            await asyncio.Event().wait()
        return 0
    finally:
        await client.close()


async def _wait_accepted(client, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.wait_accepted(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            return
        except asyncio.TimeoutError:
            task = client._task
            if task is not None and task.done():
                task.result()  # raises ConnectionFailed
                raise SystemExit("client stopped")
            if time.monotonic() >= deadline:
                raise SystemExit(
                    "not accepted within %ss (last error: %s)" % (timeout, client.last_error)
                )


# ------------------------------------------------------------------ main


def build_parser():
    parser = argparse.ArgumentParser(prog="ocppj", description="OCPP 1.6J toolkit command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="log runtime details")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run a demo central system")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    serve.add_argument("--security-profile", type=int, choices=(0, 1, 2, 3), default=0)
    serve.add_argument(
        "--password", help="Basic password required (profiles 1-2); any when omitted"
    )
    serve.add_argument("--certfile", help="server certificate (PEM; profiles 2-3)")
    serve.add_argument("--keyfile", help="server key (PEM)")
    serve.add_argument("--cafile", help="CA that signs client certificates (profile 3)")
    serve.add_argument(
        "--accept-subprotocol",
        action="append",
        default=[],
        metavar="NAME",
        help="also accept this subprotocol as an alias of ocpp1.6 (repeatable), e.g. "
        "ocpp1.6.0, which the QuecPython port's examples offer",
    )
    serve.add_argument(
        "--heartbeat-interval",
        type=int,
        default=300,
        help="interval in BootNotification.conf",
    )
    serve.add_argument(
        "--gc-tuning",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="freeze start-up objects and collect garbage less often (on by default; see tune_gc)",
    )
    serve.add_argument(
        "--duration",
        type=float,
        default=0,
        help="stop after this many seconds (0: never)",
    )

    simulate = commands.add_parser("simulate", help="run a charge point simulator")
    simulate.add_argument(
        "url", help="connection URL, ending with the identity unless --id is given"
    )
    simulate.add_argument("--id", help="charge point identity appended to URL")
    simulate.add_argument("--security-profile", type=int, choices=(0, 1, 2, 3))
    simulate.add_argument("--password", help="Basic password (AuthorizationKey; profiles 1-2)")
    simulate.add_argument("--cafile", help="CA of the central system certificate (wss://)")
    simulate.add_argument("--certfile", help="client certificate (PEM; profile 3)")
    simulate.add_argument("--keyfile", help="client key (PEM)")
    simulate.add_argument("--no-check-hostname", action="store_true")
    simulate.add_argument("--queue", help="file for the transaction message queue")
    simulate.add_argument("--id-tag", default="DEMO-TAG-1")
    simulate.add_argument("--meter-values", type=int, default=3)
    simulate.add_argument("--meter-interval", type=float, default=0.2)
    simulate.add_argument(
        "--boot-retry", type=float, default=10, help="seconds between boot attempts"
    )
    simulate.add_argument("--max-reconnects", type=int, default=10)
    simulate.add_argument("--timeout", type=float, default=30)
    simulate.add_argument("--stay", action="store_true", help="stay connected after the scenario")
    simulate.add_argument("--quiet", action="store_true", help="print state changes, not frames")

    validate = commands.add_parser("validate", help="judge OCPP-J frames, one per line")
    validate.add_argument("file", nargs="?", help="file of frames; stdin when omitted or -")
    validate.add_argument(
        "--role",
        choices=sorted(ROLE_NAMES),
        default="any",
        help="the receiver's role: CALLs only the receiver itself may send are NotSupported",
    )
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command == "validate":
        return cmd_validate(args)
    runner = _serve if args.command == "serve" else _simulate
    try:
        return asyncio.run(runner(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
