"""The ``ocppj`` command (CPython only; installed by pyproject's scripts).

    ocppj serve [--port 9000] [--security-profile N] [--quiet] ...
        A demo central system: accepts any charge point, answers every CALL
        a charge point may send with a schema-valid response and prints
        each exchange (--quiet: connections and refusals only).
        --handlers MODULE[:CLASS] runs your own handlers, hooks and
        main(central_system) instead (ocppj_aio/handlers.py).
    ocppj simulate URL [--id CP] ...
        A charge point simulator (see simulator.py): boot, heartbeat,
        status, authorize, a transaction; answers every CALL a central
        system may send and acts on TriggerMessage, GetDiagnostics and
        UpdateFirmware. URL ends with the identity unless --id is given.
    ocppj validate [FILE]
        OCPP-J frames, one per line (FILE or stdin). Per frame: "valid" or
        the CallError code a strict receiver answers with, and why.

Errors: every error is one line on stderr, ``ocppj <command>: error:
<cause>: <what to do>``; exit status 2 for a usage error (options, files
named on the command line), 1 for a failure while running (a port in use,
a central system that refuses us, frames that are not valid); 130 after
Ctrl-C. ``-v`` adds the traceback and the runtime's INFO log.

This is application code: unlike the runtime it imports the generated
``ocpp16`` package.
"""

import argparse
import asyncio
import errno
import gc
import hmac
import logging
import os
import re
import signal
import socket
import sys
import traceback
import urllib.parse

from ocppj import framing
from ocppj.errors import UsageError
from ocppj.session import Session


class CommandUsageError(Exception):
    """What was typed is wrong (an option, a file named on the command
    line): exit status 2. The message names the cause and what to do."""


class CommandError(Exception):
    """The command failed while running: exit status 1. The message names
    the cause and what to do."""


def version():
    """The installed toolkit's version, or a note that it is not installed."""
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed_version
    except ImportError:  # Python < 3.8 has no importlib.metadata
        return "unknown"
    try:
        return installed_version("ocpp16-toolkit")
    except PackageNotFoundError:
        return "unknown (not installed: run from a source tree)"


def _protocol():
    from ocpp16 import protocol

    return protocol


def _needs_websockets(command):
    """One clear line instead of ModuleNotFoundError when a plain copy of
    the package lacks its dependency ``websockets``."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        raise CommandError(
            "the websockets package (13 or later), which ocppj %s needs, is not installed:"
            " pip install 'ocpp16-toolkit[websockets]' (or pip install websockets)" % command
        ) from None


def _input_file(path, option, what):
    """``path`` if it names a readable file, else a usage error naming
    ``option`` and ``what`` it should be."""
    if path is None:
        return None
    if not os.path.exists(path):
        problem = "no such file"
    elif os.path.isdir(path):
        problem = "a directory, not a file"
    elif not os.access(path, os.R_OK):
        problem = "not readable (permission denied)"
    else:
        return path
    named = "%s %s" % (option, path) if option else path
    raise CommandUsageError("%s: %s; give %s" % (named, problem, what))


# What each file option names, for the errors about it.
FILE_OPTIONS = {
    "certfile": "the certificate chain to present, a PEM file",
    "keyfile": "the private key of --certfile, a PEM file",
    "cafile": "the CA certificate to verify the peer with, a PEM file",
}


# ------------------------------------------------------------------ validate

ROLE_NAMES = {
    "central-system": "CentralSystem",
    "charge-point": "ChargePoint",
    "any": None,
}

BYTE_ORDER_MARK = "\ufeff"


def validate_frame(protocol, text, role=None, calls=None):
    """Judge one frame as a strict receiver: ``(verdict, detail)`` where
    verdict is ``"valid"`` or a CallError code. ``calls`` maps the unique
    ids of CALLs seen so far to their action, so a CALLRESULT can be
    checked against that action's response schema."""
    if calls is None:
        calls = {}
    if isinstance(text, str) and text.startswith(BYTE_ORDER_MARK):
        return (
            "FormationViolation",
            "frame starts with a UTF-8 byte order mark (BOM, U+FEFF), which is not JSON text:"
            " save the file as UTF-8 without BOM",
        )
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
                return event.error.code, event.error.description + _offending_request_value(
                    protocol, frame
                )
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
            shown = describe_offending_value(
                protocol.response_class(action), frame.payload, invalid.path, invalid.rule
            )
            return (
                invalid.code,
                "%s.conf: %s violates %s%s (a response: dropped, never answered)"
                % (action, path, invalid.rule, shown),
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


def _offending_request_value(protocol, frame):
    """What ``describe_offending_value`` says about a CALL the core refused
    for its payload ("" when the refusal was for something else)."""
    if frame.action not in protocol.ACTIONS:
        return ""
    try:
        protocol.validate_request(frame.action, frame.payload)
    except protocol.ValidationError as invalid:
        return describe_offending_value(
            protocol.request_class(frame.action), frame.payload, invalid.path, invalid.rule
        )
    except Exception:
        return ""
    return ""


_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _value_at(payload, path):
    """The value at a ValidationError path (``meterValue[0].unit``), or
    ``_ABSENT``."""
    value = payload
    for name, index in _PATH_STEP.findall(path):
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError, ValueError):
            return _ABSENT
    return value


_ABSENT = object()


def _enum_at(payload_class, path):
    """The Enum class of the field at ``path`` of ``payload_class``, or None."""
    import enum
    import typing

    kind = payload_class
    for name, index in _PATH_STEP.findall(path):
        if index:
            continue  # List[X] was unwrapped below
        try:
            hints = typing.get_type_hints(kind)
        except Exception:
            return None
        wanted = name.replace("_", "").lower()
        kind = None
        for field, hint in hints.items():
            if field.replace("_", "").lower() == wanted:
                kind = hint
                break
        # Optional[X] and List[X]: the X inside
        while getattr(kind, "__args__", None):
            kind = next(arg for arg in kind.__args__ if arg is not type(None))
        if kind is None:
            return None
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind
    return None


def describe_offending_value(payload_class, payload, path, rule):
    """``": 'Acepted' is not one of Available, Preparing, ..."`` for the
    value a ValidationError (``path``, ``rule``) points at; "" when there is
    no value to show (a required field that is missing)."""
    if not path:
        return ""
    value = _value_at(payload, path)
    if value is _ABSENT:
        return ""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if rule == "enum":
        kind = _enum_at(payload_class, path)
        if kind is not None:
            return ": %s is not one of %s" % (shown, ", ".join(member.value for member in kind))
    return " (the value: %s)" % shown


def cmd_validate(args, out=sys.stdout):
    protocol = _protocol()
    role = ROLE_NAMES[args.role]
    if args.file in (None, "-"):
        handle = sys.stdin
    else:
        _input_file(args.file, None, "a file of OCPP-J frames, one per line, or - for stdin")
        handle = open(args.file, "r", encoding="utf-8", errors="surrogateescape")
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

    profile = args.security_profile
    if profile not in (2, 3):
        for option, value in (
            ("--certfile", args.certfile),
            ("--keyfile", args.keyfile),
            ("--cafile", args.cafile),
        ):
            if value is not None:
                raise CommandUsageError(
                    "%s is for security profiles 2 and 3 (TLS); add --security-profile 2 or 3"
                    % option
                )
        return None
    if not args.certfile:
        raise CommandUsageError(
            "security profile %d needs --certfile (the central system's certificate chain,"
            " PEM) and --keyfile" % profile
        )
    if profile == 3 and not args.cafile:
        raise CommandUsageError(
            "security profile 3 needs --cafile: the CA certificate (PEM) that signs the"
            " charge points' client certificates"
        )
    certfile = _input_file(args.certfile, "--certfile", FILE_OPTIONS["certfile"])
    keyfile = _input_file(args.keyfile, "--keyfile", FILE_OPTIONS["keyfile"])
    cafile = _input_file(args.cafile, "--cafile", FILE_OPTIONS["cafile"])
    try:
        return security.server_ssl_context(
            certfile, keyfile, cafile=cafile, require_client_certificate=profile == 3
        )
    except (OSError, ValueError) as bad:
        # ssl.SSLError is an OSError: a file that is not PEM, a key that
        # does not match the certificate, a CA file without a certificate
        raise CommandUsageError(
            "cannot load the TLS files (--certfile %s%s%s): %s"
            % (
                certfile,
                " --keyfile %s" % keyfile if keyfile else "",
                " --cafile %s" % cafile if cafile else "",
                _ssl_reason(bad),
            )
        ) from bad


def _ssl_reason(exc):
    reason = getattr(exc, "reason", None) or ""
    text = str(exc)
    if reason == "KEY_VALUES_MISMATCH":
        return "the key does not belong to the certificate; give the matching --keyfile"
    if reason in ("PEM_LIB", "NO_START_LINE") or "PEM lib" in text:
        return "not a PEM certificate or key; give PEM files (-----BEGIN ...)"
    return reason or getattr(exc, "strerror", None) or text


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


def _listen_error(exc, args):
    """A CommandError for an OSError from listening on --host/--port."""
    number = getattr(exc, "errno", None)
    where = "%s:%d" % (args.host, args.port)
    if number == errno.EADDRINUSE:
        return CommandError(
            "port %d on %s is already in use: stop the program listening there, or choose"
            " another --port (0 picks a free one)" % (args.port, args.host)
        )
    if number == errno.EACCES:
        return CommandError("no permission to listen on %s: choose a --port above 1023" % where)
    if number == errno.EADDRNOTAVAIL:
        return CommandError(
            "cannot listen on %s: this machine has no such address; choose another --host" % where
        )
    if isinstance(exc, socket.gaierror):
        return CommandError("cannot listen on --host %s: %s" % (args.host, exc.strerror or exc))
    return CommandError("cannot listen on %s: %s" % (where, exc.strerror or exc))


def cmd_serve(args):
    given = _credential_options(args)
    if given and args.security_profile not in (1, 2):
        raise CommandUsageError(
            "%s is for security profiles 1 and 2 (HTTP Basic); add"
            " --security-profile 1 or 2" % given[0]
        )
    ssl_context = _server_tls(args)
    authenticator = _serve_authenticator(args)
    _needs_websockets("serve")
    handlers = _handlers(args)
    return _run(_serve(args, ssl_context, authenticator, handlers))


def _handlers(args):
    """The --handlers module's Handlers (ocppj_aio.handlers), or None."""
    if args.handlers is None:
        return None
    from .handlers import HandlersError, load_handlers

    overrides = {"BootNotification": {"interval": args.heartbeat_interval}}
    try:
        return load_handlers(args.handlers, _protocol(), overrides)
    except HandlersError as bad:
        raise CommandUsageError(str(bad)) from None


def _credential_options(args):
    given = []
    if args.password is not None:
        given.append("--password")
    if args.password_file is not None:
        given.append("--password-file")
    if args.insecure_any_password:
        given.append("--insecure-any-password")
    return given


def _serve_authenticator(args):
    """The authenticator of security profiles 1 and 2: from exactly one
    credential source. Without one, serve refuses to start: accepting
    every password by default would look like authentication."""
    from . import security

    if args.security_profile not in (1, 2):
        return None
    given = _credential_options(args)
    if not given:
        raise CommandUsageError(
            "security profile %d needs a credential source: --password-file FILE"
            " (a key per charge point), --password KEY (one for all), or"
            " --insecure-any-password for a demo" % args.security_profile
        )
    if len(given) > 1:
        raise CommandUsageError("give one of %s, not several" % " and ".join(given))
    if args.password_file is not None:
        try:
            return security.PasswordFile(args.password_file)
        except OSError as problem:
            raise CommandUsageError(
                "--password-file %s: %s" % (args.password_file, problem.strerror or problem)
            ) from None
        except ValueError as problem:
            raise CommandUsageError("--password-file: %s" % problem) from None
    if args.password is not None:
        key = args.password.encode("utf-8")

        async def same_password(identity, password):
            return hmac.compare_digest(password, key)

        return same_password

    async def any_password(identity, password):
        return True

    return any_password


async def _serve(args, ssl_context, authenticator, handlers=None):
    from .demo import TracingLink, answering_class
    from .server import CentralSystem, _maybe_await

    protocol = _protocol()
    say = _say("[cs]")
    overrides = {"BootNotification": {"interval": args.heartbeat_interval}}
    if handlers is not None:
        answering = handlers.charge_point_class
    else:
        answering = answering_class(protocol, "CentralSystem", overrides)

    def factory(identity, link):
        if not args.quiet:
            link = TracingLink(link, "[cs] %s" % identity)
        return answering(identity, link, protocol=protocol)

    async def connected(charge_point, link):
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
        if handlers is not None and handlers.on_connect is not None:
            await _maybe_await(handlers.on_connect(charge_point, link))

    async def disconnected(charge_point, link):
        say("%s disconnected (%s %s)" % (charge_point.id, link.close_code, link.close_reason or ""))
        if handlers is not None and handlers.on_disconnect is not None:
            await _maybe_await(handlers.on_disconnect(charge_point, link))

    server = CentralSystem(
        factory,
        protocol=protocol,
        host=args.host,
        port=args.port,
        security_profile=args.security_profile,
        ssl_context=ssl_context,
        authenticator=authenticator,
        on_connect=connected,
        on_disconnect=disconnected,
        subprotocols=(protocol.SUBPROTOCOL,) + tuple(args.accept_subprotocol),
    )
    try:
        await server.start()
    except OSError as exc:
        raise _listen_error(exc, args) from exc
    if args.gc_tuning:
        tune_gc()
    say("central system listening on %s/<identity>" % server.url())
    if args.insecure_any_password:
        say("--insecure-any-password: any Basic auth password is accepted (demos only)")
    active = None
    if handlers is not None and handlers.main is not None:
        # the "active" side: the module pushes CALLs by charge point id
        active = asyncio.ensure_future(handlers.main(server))
        active.add_done_callback(_report_main)
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
        if active is not None:
            active.cancel()
        await server.close()
        say("central system stopped")
    return 0


def _report_main(task):
    if task.cancelled():
        return
    failure = task.exception()
    if failure is not None:
        logging.getLogger("ocppj.server").error(
            "the --handlers module's main() failed: %r", failure, exc_info=failure
        )


# ------------------------------------------------------------------ simulate


def cmd_simulate(args):
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme.lower() not in ("ws", "wss") or not parts.hostname:
        raise CommandUsageError(
            "URL %s is not a WebSocket URL: give ws://host:port/IDENTITY"
            " (or wss:// for security profiles 2 and 3)" % args.url
        )
    if args.id is None and not parts.path.strip("/"):
        raise CommandUsageError(
            "URL %s names no charge point identity: end it with one"
            " (%s/CP-1) or pass --id CP-1" % (args.url, args.url.rstrip("/"))
        )
    if args.security_profile == 3 and not args.certfile:
        raise CommandUsageError(
            "security profile 3 needs --certfile (this charge point's certificate, PEM)"
            " and --keyfile"
        )
    if args.security_profile in (1, 2) and args.password is None:
        raise CommandUsageError(
            "security profile %d needs --password (the AuthorizationKey)" % args.security_profile
        )
    for option, what in FILE_OPTIONS.items():
        _input_file(getattr(args, option), "--" + option, what)
    _needs_websockets("simulate")
    from . import simulator
    from .client import ConnectionFailed, DeliveryFailed

    try:
        return _run(simulator.simulate(args, _protocol(), _say("[cp]")))
    except simulator.ScenarioFailed as failed:
        raise CommandError(str(failed)) from failed
    except ConnectionFailed as failed:
        raise CommandError("gave up connecting: %s" % failed) from failed
    except DeliveryFailed as failed:
        raise CommandError(str(failed)) from failed
    except asyncio.TimeoutError as late:
        raise CommandError(
            "a transaction message got no answer within --timeout %ss" % args.timeout
        ) from late


# ------------------------------------------------------------------ main


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, exit status 2."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see %s --help)\n" % (self.prog, message, self.prog))


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where it is None or False."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if default is None or default is False or default == [] or default == argparse.SUPPRESS:
            return text
        if "%(default)" in text:
            return text
        if action.option_strings or action.nargs in ("?", "*"):
            return text + " (default: %(default)s)"
        return text


def _command(commands, name, summary, description, run):
    parser = commands.add_parser(
        name, help=summary, description=description, formatter_class=_HelpFormatter
    )
    parser.set_defaults(run=run)
    return parser


def build_parser():
    parser = _Parser(
        prog="ocppj",
        description="OCPP 1.6J toolkit: a demo central system, a charge point simulator"
        " and a frame validator.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version="ocppj (ocpp16-toolkit) %s" % version()
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log runtime details (INFO) and show the traceback of an error",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = _command(
        commands,
        "serve",
        "run a demo central system",
        "A demo central system: accepts every charge point, answers every CALL a charge"
        " point may send with a schema-valid response, and prints each frame.",
        cmd_serve,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--port", type=int, default=9000, help="port to listen on; 0 picks a free port"
    )
    serve.add_argument(
        "--security-profile",
        type=int,
        choices=(0, 1, 2, 3),
        default=0,
        help="OCPP security profile: 0 none, 1 Basic auth, 2 TLS + Basic auth,"
        " 3 TLS with client certificates",
    )
    serve.add_argument(
        "--password",
        help="the one Basic auth password every charge point must send (profiles 1 and 2)",
    )
    serve.add_argument(
        "--password-file",
        metavar="FILE",
        help="per-charge-point keys for profiles 1 and 2: '<identity> <key>' lines, the key"
        " sha256:<salt>:<digest>, hex:<bytes> or text:<key> (docs/hardening.md); re-read"
        " when it changes",
    )
    serve.add_argument(
        "--insecure-any-password",
        action="store_true",
        help="accept any Basic auth password (profiles 1 and 2): for demos only",
    )
    serve.add_argument(
        "--certfile", help="the central system's certificate chain, PEM (profiles 2 and 3)"
    )
    serve.add_argument(
        "--keyfile", help="the key of --certfile, PEM, when not in --certfile itself"
    )
    serve.add_argument(
        "--cafile", help="the CA certificate that signs charge point certificates (profile 3)"
    )
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
        help="seconds between heartbeats, sent in BootNotification.conf",
    )
    serve.add_argument(
        "--quiet",
        action="store_true",
        help="print connections and refusals, not every frame (for many charge points)",
    )
    serve.add_argument(
        "--handlers",
        metavar="MODULE[:CLASS]",
        help="your own handlers: a module name or .py file with a ChargePoint subclass"
        " (its @on methods answer; the demo answers the rest), optional on_connect,"
        " on_disconnect and async main(central_system) (see ocppj_aio/handlers.py)",
    )
    serve.add_argument(
        "--gc-tuning",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="freeze start-up objects and collect garbage less often (see tune_gc)",
    )
    serve.add_argument(
        "--duration",
        type=float,
        default=0,
        help="stop after this many seconds; 0 runs until Ctrl-C",
    )

    simulate = _command(
        commands,
        "simulate",
        "run a charge point simulator",
        "A charge point: boots, sends a heartbeat, status notifications, authorizes an idTag"
        " and runs one transaction with meter values; answers every CALL of the central"
        " system and acts on TriggerMessage, GetDiagnostics and UpdateFirmware.",
        cmd_simulate,
    )
    simulate.add_argument(
        "url",
        metavar="URL",
        help="the central system's URL, ending with the charge point identity unless --id"
        " is given (ws://127.0.0.1:9000/CP-1)",
    )
    simulate.add_argument("--id", help="charge point identity, appended to URL")
    simulate.add_argument(
        "--security-profile",
        type=int,
        choices=(0, 1, 2, 3),
        help="OCPP security profile; inferred from the URL and --password when omitted",
    )
    simulate.add_argument("--password", help="Basic auth password (AuthorizationKey; profiles 1-2)")
    simulate.add_argument(
        "--cafile", help="CA certificate to verify the central system with (wss://)"
    )
    simulate.add_argument("--certfile", help="client certificate, PEM (profile 3)")
    simulate.add_argument("--keyfile", help="key of --certfile, PEM")
    simulate.add_argument(
        "--no-check-hostname",
        action="store_true",
        help="accept a central system certificate issued to another host name (tests only)",
    )
    simulate.add_argument(
        "--queue", help="file that keeps transaction messages across restarts; memory if omitted"
    )
    simulate.add_argument("--id-tag", default="DEMO-TAG-1", help="idTag to authorize and charge")
    simulate.add_argument(
        "--meter-values", type=int, default=3, help="MeterValues to send during the transaction"
    )
    simulate.add_argument(
        "--meter-interval", type=float, default=0.2, help="seconds between MeterValues"
    )
    simulate.add_argument(
        "--boot-retry",
        type=float,
        default=10,
        help="seconds before a BootNotification is sent again after an error or no answer",
    )
    simulate.add_argument(
        "--max-reconnects",
        type=int,
        default=10,
        help="failed connection attempts in a row to retry before giving up",
    )
    simulate.add_argument(
        "--timeout",
        type=float,
        default=30,
        help="seconds to wait for acceptance and for each answer",
    )
    simulate.add_argument(
        "--stay",
        action="store_true",
        help="stay connected after the scenario, answering the central system until Ctrl-C",
    )
    simulate.add_argument("--quiet", action="store_true", help="print state changes, not frames")

    # The gateway has its own parser (ocppj_aio/gateway/cli.py); main()
    # hands it everything after the word gateway. Listed here for --help.
    commands.add_parser(
        "gateway",
        help="run the OCPP-to-MQTT gateway (ocppj gateway --help; docs/gateway.md)",
        add_help=False,
    )

    validate = _command(
        commands,
        "validate",
        "judge OCPP-J frames, one per line",
        "Reads OCPP-J frames, one per line, and prints 'valid' or the CallError code a"
        " strict receiver answers with, and why. Exit status 1 when a frame is not valid.",
        cmd_validate,
    )
    validate.add_argument(
        "file", metavar="FILE", nargs="?", help="file of frames; stdin when omitted or -"
    )
    validate.add_argument(
        "--role",
        choices=sorted(ROLE_NAMES),
        default="any",
        help="the receiver's role: CALLs only the receiver itself may send are NotSupported",
    )
    return parser


def _run(coroutine):
    return asyncio.run(coroutine)


def _configure_logging(verbose):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    if not verbose:
        # what a person running the command wants to see: refusals and
        # closings of the central system, the client's failed attempts
        logging.getLogger("ocppj.server").setLevel(logging.INFO)


def describe_failure(exc):
    """``(exit status, one line)`` for an exception that ended a command."""
    if isinstance(exc, CommandUsageError):
        return 2, str(exc)
    if isinstance(exc, CommandError):
        return 1, str(exc)
    if isinstance(exc, UsageError):
        # the library refused what the options asked for
        return 2, str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        where = " (%s)" % exc.filename if exc.filename else ""
        return 1, "%s%s" % (exc.strerror, where)
    text = str(exc) or "(no message)"
    return 1, "unexpected %s: %s; run with -v for the traceback" % (type(exc).__name__, text)


def _gateway_arguments(argv):
    """The arguments for the gateway's own parser when ``argv`` asks for
    ``ocppj [-v] gateway ...``, else None."""
    flags = []
    for position, word in enumerate(argv):
        if word in ("-v", "--verbose"):
            flags.append("--verbose")
            continue
        if word == "gateway":
            return flags + list(argv[position + 1 :])
        return None
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    gateway_arguments = _gateway_arguments(argv)
    if gateway_arguments is not None:
        from .gateway import cli as gateway_cli

        return gateway_cli.main(gateway_arguments)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: serve, simulate or validate")
    _configure_logging(args.verbose)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        sys.stderr.write("ocppj %s: interrupted\n" % args.command)
        return 130
    except Exception as exc:
        status, line = describe_failure(exc)
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write("ocppj %s: error: %s\n" % (args.command, line))
        return status


if __name__ == "__main__":
    sys.exit(main())
