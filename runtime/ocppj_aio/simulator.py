"""The charge point of ``ocppj simulate``: one connector, one scenario.

The scenario: BootNotification (the client's), Heartbeat, StatusNotification
Available, Authorize, Preparing, StartTransaction, Charging, MeterValues,
StopTransaction, Available. Every answer is checked: a CALLERROR is
printed with its code and description and the scenario goes on (the exit
status is then 1); no answer in time ends it.

Meanwhile it answers every CALL a central system may send
(``demo.CHARGE_POINT_ANSWERS``) and acts as a charge point does on three:

* TriggerMessage (OCPP 1.6 5.17): Accepted, then the requested message is
  sent (BootNotification, DiagnosticsStatusNotification,
  FirmwareStatusNotification, Heartbeat, MeterValues, StatusNotification);
  Rejected for a connector it does not have.
* GetDiagnostics (5.8): names a file, then DiagnosticsStatusNotification
  Uploading and Uploaded (4.4: nothing is uploaded; it is a simulator).
* UpdateFirmware (5.16): at retrieveDate, FirmwareStatusNotification
  Downloading, Downloaded, Installing, Installed (4.5; nothing is
  downloaded).
"""

import asyncio
import datetime
import logging

from ocppj.errors import CallTimeoutError, OCPPError
from ocppj.routing import after, on

from .demo import TracingLink, answering_class, utc_now

CONNECTOR = 1

# Pause between the steps of a simulated upload or firmware update.
STEP_DELAY = 0.05


class ScenarioFailed(Exception):
    """The scenario cannot go on (no answer in time, idTag refused, the
    central system refused the connection); the message says why."""


def _parse_time(text):
    """A datetime for an OCPP date-time ("Z" or an offset), or None."""
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


class Simulator:
    """The state of the simulated charge point, and what it sends."""

    def __init__(self, protocol, say, timeout, id_tag):
        self.protocol = protocol
        self.say = say
        self.timeout = timeout
        self.id_tag = id_tag
        self.client = None  # set by simulate()
        self.status = "Available"
        self.meter = 1000  # Wh
        self.diagnostics_status = "Idle"
        self.firmware_status = "Idle"
        self.call_errors = 0
        self._tasks = set()

    def request(self, action, wire):
        return self.protocol.decode_request(action, wire)

    async def send(self, action, wire, allow_pending=False):
        """Send a CALL and return its response; a CALLERROR is printed and
        counted (None returned); no answer in time fails the scenario."""
        try:
            return await self.client.call(
                self.request(action, wire), suppress=False, allow_pending=allow_pending
            )
        except OCPPError as error:
            self.call_errors += 1
            self.say(
                "%s: %s answered with CALLERROR %s%s"
                % (
                    self.client.identity,
                    action,
                    error.code,
                    ": %s" % error.description if error.description else "",
                )
            )
            return None
        except CallTimeoutError:
            raise ScenarioFailed("no answer to %s within %ss" % (action, self.timeout)) from None

    async def status_notification(self, status=None, connector=CONNECTOR):
        if status is not None and connector == CONNECTOR:
            self.status = status
        await self.send(
            "StatusNotification",
            {
                "connectorId": connector,
                "errorCode": "NoError",
                "status": self.status if connector == CONNECTOR else "Available",
                "timestamp": utc_now(),
            },
        )

    def meter_sample(self, context="Sample.Periodic"):
        return {
            "timestamp": utc_now(),
            "sampledValue": [
                {
                    "value": str(self.meter),
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                    "context": context,
                },
                {
                    "value": "7400" if self.status == "Charging" else "0",
                    "measurand": "Power.Active.Import",
                    "unit": "W",
                    "context": context,
                },
            ],
        }

    # ------------------------------------------------------------ on request

    def in_background(self, coroutine):
        """Run what a request asked for after its answer went out."""
        task = asyncio.ensure_future(self._guarded(coroutine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, coroutine):
        try:
            await coroutine
        except asyncio.CancelledError:
            raise
        except ScenarioFailed as failed:
            self.say("%s: %s" % (self.client.identity, failed))
        except Exception as exc:
            # the connection dropped meanwhile, most likely: say so
            self.say("%s: could not send: %s" % (self.client.identity, exc or type(exc).__name__))

    async def send_triggered(self, requested, connector):
        """The message a TriggerMessage asked for (OCPP 1.6 5.17)."""
        if requested == "BootNotification":
            wire = self.protocol.encode(self.client.boot_notification)
            await self.send("BootNotification", wire, allow_pending=True)
        elif requested == "Heartbeat":
            await self.send("Heartbeat", {}, allow_pending=True)
        elif requested == "StatusNotification":
            await self.status_notification(connector=CONNECTOR if connector is None else connector)
        elif requested == "MeterValues":
            await self.send(
                "MeterValues",
                {"connectorId": CONNECTOR, "meterValue": [self.meter_sample("Trigger")]},
            )
        elif requested == "DiagnosticsStatusNotification":
            await self.send("DiagnosticsStatusNotification", {"status": self.diagnostics_status})
        elif requested == "FirmwareStatusNotification":
            await self.send("FirmwareStatusNotification", {"status": self.firmware_status})

    async def upload_diagnostics(self):
        for status in ("Uploading", "Uploaded"):
            await asyncio.sleep(STEP_DELAY)
            self.diagnostics_status = status
            await self.send("DiagnosticsStatusNotification", {"status": status})
        self.diagnostics_status = "Idle"

    async def update_firmware(self, retrieve_date):
        start = _parse_time(retrieve_date)
        if start is not None:
            wait = (start - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            if wait > 0:
                self.say("%s: firmware download at %s" % (self.client.identity, retrieve_date))
                await asyncio.sleep(wait)
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await asyncio.sleep(STEP_DELAY)
            self.firmware_status = status
            await self.send("FirmwareStatusNotification", {"status": status})
        self.firmware_status = "Idle"

    def cancel_background(self):
        for task in list(self._tasks):
            task.cancel()


def charge_point_class(protocol, simulator):
    """The simulated charge point's handlers: the demo answers, plus what
    TriggerMessage, GetDiagnostics and UpdateFirmware ask for."""
    base = answering_class(protocol, "ChargePoint", name="SimulatedChargePointBase")

    class SimulatedChargePoint(base):
        # Same attribute names as the base's handlers: these replace them.
        @on("TriggerMessage")
        def answer_TriggerMessage(self, requested_message, connector_id=None, **_):
            known = connector_id is None or connector_id in (0, CONNECTOR)
            status = "Accepted" if known else "Rejected"
            return protocol.decode_response("TriggerMessage", {"status": status})

        @after("TriggerMessage")
        def send_TriggerMessage(self, requested_message, connector_id=None, **_):
            if connector_id is None or connector_id in (0, CONNECTOR):
                requested = getattr(requested_message, "value", requested_message)
                simulator.in_background(simulator.send_triggered(requested, connector_id))

        @on("GetDiagnostics")
        def answer_GetDiagnostics(self, location, **_):
            name = "diagnostics-%s-%s.log" % (self.id, utc_now().replace(":", ""))
            return protocol.decode_response("GetDiagnostics", {"fileName": name})

        @after("GetDiagnostics")
        def send_GetDiagnostics(self, **_):
            simulator.in_background(simulator.upload_diagnostics())

        @after("UpdateFirmware")
        def send_UpdateFirmware(self, retrieve_date, **_):
            simulator.in_background(simulator.update_firmware(retrieve_date))

    return SimulatedChargePoint


class _PrintClientLog(logging.Handler):
    """The client's INFO log (state changes, why an attempt failed) as
    ``[cp]`` lines."""

    def __init__(self, say):
        super().__init__(logging.INFO)
        self._say = say

    def emit(self, record):
        try:
            self._say(record.getMessage())
        except Exception:
            self.handleError(record)


def _refusal(error):
    """The HTTP status of a refused opening handshake that retrying cannot
    change (4xx), else None."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500:
        return status
    return None


async def simulate(args, protocol, say):
    """Run the scenario of ``ocppj simulate`` (argparse ``args``); the exit
    status, or ScenarioFailed / ConnectionFailed."""
    from . import security
    from .client import ChargePointClient
    from .connection_errors import explain

    simulator = Simulator(protocol, say, args.timeout, args.id_tag)
    handlers = charge_point_class(protocol, simulator)

    def factory(identity, link):
        if not args.quiet:
            link = TracingLink(link, "[cp] %s" % identity)
        return handlers(identity, link, protocol=protocol)

    refused = asyncio.Event()

    def state_changed(old, new):
        # A 4xx refusal of the handshake will not change by retrying (a
        # wrong password, an unknown identity): stop at once.
        if new == "offline" and _refusal(client.last_error) is not None:
            refused.set()

    ssl_context = None
    if args.url.lower().startswith("wss://"):
        ssl_context = security.client_ssl_context(
            cafile=args.cafile,
            certfile=args.certfile,
            keyfile=args.keyfile,
            check_hostname=not args.no_check_hostname,
        )
    client = ChargePointClient(
        args.url,
        args.id,
        protocol=protocol,
        boot_notification=simulator.request(
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
        ssl_context=ssl_context,
        queue=args.queue,
        max_reconnects=args.max_reconnects,
        reconnect_max_delay=5,
        boot_retry_interval=args.boot_retry,
        on_state_change=state_changed,
    )
    simulator.client = client
    client_log = logging.getLogger("ocppj.client")
    printer = _PrintClientLog(say)
    client_log.addHandler(printer)
    level = client_log.level
    client_log.setLevel(logging.INFO)
    client_log.propagate = False
    await client.start()
    try:
        await _wait_accepted(client, args.timeout, refused, explain)
        return await _scenario(simulator, args)
    finally:
        simulator.cancel_background()
        await client.close()
        client_log.removeHandler(printer)
        client_log.setLevel(level)
        client_log.propagate = True


async def _wait_accepted(client, timeout, refused, explain):
    accepted = asyncio.ensure_future(client.wait_accepted())
    stopped = asyncio.ensure_future(refused.wait())
    try:
        done, _ = await asyncio.wait(
            {accepted, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in (accepted, stopped):
            if not task.done():
                task.cancel()
    if accepted in done:
        accepted.result()  # raises ConnectionFailed when the client gave up
        return
    if stopped in done:
        raise ScenarioFailed(
            "%s cannot connect: %s" % (client.identity, explain(client.last_error, client.url))
        )
    why = "state %s" % client.state
    if client.last_error is not None:
        why += "; last attempt: %s" % explain(client.last_error, client.url)
    raise ScenarioFailed("%s was not accepted within %ss (%s)" % (client.identity, timeout, why))


async def _scenario(simulator, args):
    client = simulator.client
    say = simulator.say
    await simulator.send("Heartbeat", {})
    await simulator.status_notification("Available")
    authorized = await simulator.send("Authorize", {"idTag": args.id_tag})
    if authorized is None:
        raise ScenarioFailed("Authorize got no usable answer; no transaction")
    status = getattr(authorized.id_tag_info.status, "value", authorized.id_tag_info.status)
    if status != "Accepted":
        raise ScenarioFailed("idTag %s not accepted (%s); no transaction" % (args.id_tag, status))
    await simulator.status_notification("Preparing")
    start = client.enqueue(
        simulator.request(
            "StartTransaction",
            {
                "connectorId": CONNECTOR,
                "idTag": args.id_tag,
                "meterStart": simulator.meter,
                "timestamp": utc_now(),
            },
        )
    )
    started = await asyncio.wait_for(start, args.timeout)
    say("transaction %s started" % started.transaction_id)
    await simulator.status_notification("Charging")
    for _ in range(args.meter_values):
        await asyncio.sleep(args.meter_interval)
        simulator.meter += 250
        await asyncio.wait_for(
            client.enqueue(
                simulator.request(
                    "MeterValues",
                    {
                        "connectorId": CONNECTOR,
                        "transactionId": 0,
                        "meterValue": [simulator.meter_sample()],
                    },
                ),
                transaction=start.transaction,
            ),
            args.timeout,
        )
    stop = client.enqueue(
        simulator.request(
            "StopTransaction",
            {
                "transactionId": 0,
                "idTag": args.id_tag,
                "meterStop": simulator.meter,
                "timestamp": utc_now(),
                "reason": "Local",
            },
        ),
        transaction=start.transaction,
    )
    await asyncio.wait_for(stop, args.timeout)
    await simulator.status_notification("Available")
    if simulator.call_errors:
        say(
            "scenario done; %d CALL%s answered with a CALLERROR"
            % (simulator.call_errors, "" if simulator.call_errors == 1 else "s")
        )
    else:
        say("scenario done")
    if args.stay:
        await asyncio.Event().wait()
    return 1 if simulator.call_errors else 0
