"""The bridge of one charge point: its OCPP-J session on one side, the
services on MQTT on the other.

``BridgeChargePoint`` is the asyncio ChargePoint the gateway's
CentralSystem makes per connection, so the WebSocket side is the central
system's own (handshake, security profiles, pings, the sans-IO core that
validates what the charge point sends). What differs is who answers:

* A CALL from the charge point (validated by the core, or answered with
  its CallError as by any central system) is published upstream and waits
  for the service's CALLRESULT or CALLERROR on the downstream topic, at
  most ``call_timeout`` seconds; then the charge point gets the configured
  fallback answer for that action (say a Heartbeat's current time) or
  ``InternalError``, and the services a ``unanswered`` notice on the
  gateway error topic. An answer that breaks the action's response schema
  is refused (gateway error naming field and rule) and the CALL keeps
  waiting for a valid one.
* A CALL from a service is checked (action known, sent by a central
  system, payload schema) and handed to the core, which keeps one CALL
  outstanding (OCPP-J 4.1.1) and queues the others (``queue_limit``; the
  service hears ``queue-full`` beyond); each has ``command_timeout``
  seconds, queued time included. The charge point's CALLRESULT goes up on
  the reply topic with the ``Action`` of the CALL it answers, its
  CALLERROR on the error topic with ``ErrorDetails``; no answer in time,
  an answer that breaks the schema, or a connection that ended first is
  reported on the gateway error topic.
* QoS 1 delivers at least once, so a service CALL whose UniqueId this
  bridge already took, or an answer to a CALL already answered, is
  dropped (remembered for the last ``REMEMBERED_IDS`` of each).
"""

import asyncio
import collections
import contextvars
import logging

from ocppj import errors

from ..charge_point import ChargePoint, _resume
from . import codec

_LOG = logging.getLogger("ocppj.gateway")

REMEMBERED_IDS = 64

# What the pump would get from the router for a CALL: (handler, keyword
# arguments, @after hooks). The services answer instead of a handler, and
# nothing runs after.
_NO_HANDLER = (None, None, ())


class BridgeChargePoint(ChargePoint):
    """One connected charge point; ``gateway`` publishes and configures."""

    role = "CentralSystem"

    def __init__(self, identity, link, gateway, **options):
        super().__init__(
            identity,
            link,
            response_timeout=gateway.command_timeout,
            protocol=gateway.protocol,
            role="CentralSystem",
            **options,
        )
        self.gateway = gateway
        self._pending = {}  # CP CALL id -> (event, timer handle)
        self._answered = collections.deque(maxlen=REMEMBERED_IDS)
        self._timed_out = collections.deque(maxlen=REMEMBERED_IDS)
        self._commands = {}  # service CALL id -> action, while the core has it
        self._taken = collections.OrderedDict()  # service CALL ids taken, bounded
        self._results = {}  # service CALL id -> CP's CALLRESULT wire payload
        self._rejected = {}  # service CALL id -> True: the CP's answer was unusable

    # ------------------------------------------------ the charge point's CALLs

    def _start_handler(self, event):
        """Every CALL the session accepted goes to the services instead of an
        @on handler (so no @after hooks either); the answer comes through
        ``service_answer``."""
        gateway = self.gateway
        if gateway.mqtt.congested or not gateway.publish(
            gateway.topics.upstream(self.id, event.action),
            codec.call(event.unique_id, event.action, event.payload),
        ):
            return (), self._unanswered(event, "the MQTT broker is unreachable or congested")
        timer = asyncio.get_running_loop().call_later(
            gateway.call_timeout, self._call_timed_out, event.unique_id
        )
        self._pending[event.unique_id] = (event, timer)
        return (), None

    def _unanswered(self, event, why):
        """(result, failure) for a CALL no service answers: the fallback
        answer for its action, else InternalError."""
        fallback = self.gateway.fallback_answer(event.action)
        if fallback is not None:
            return fallback, None
        return None, errors.InternalError("no answer from the central system's services: " + why)

    def _call_timed_out(self, unique_id):
        entry = self._pending.pop(unique_id, None)
        if entry is None:
            return
        event = entry[0]
        self._timed_out.append(unique_id)
        seconds = self.gateway.call_timeout
        self.gateway.notify(
            self.id,
            unique_id,
            event.action,
            "unanswered",
            "no service answered %s %s of %s within %ss"
            % (event.action, unique_id, self.id, seconds),
            code="InternalError",
        )
        self._answer_now(event, self._unanswered(event, "none within %ss" % seconds))

    def _answer_now(self, event, outcome):
        """Answer ``event`` now. The pump's async answer runs here up to its
        first real wait, as the pump runs a handler (ChargePoint.
        _start_handler): the WebSocket send mostly completes at once, so
        most answers cost no task; one that must wait goes on in a task."""
        coro = self._serve_async(event, _NO_HANDLER, outcome)
        context = contextvars.copy_context()
        try:
            yielded = context.run(coro.send, None)
        except StopIteration:
            return
        self._spawn(_resume(context, coro, yielded))

    def service_answer(self, message):
        """A service's CALLRESULT or CALLERROR for one of our CALLs."""
        unique_id = message.unique_id
        entry = self._pending.get(unique_id)
        if entry is None:
            if unique_id in self._answered:
                _LOG.info("%s: duplicate answer to %s dropped", self.id, unique_id)
                return
            if unique_id in self._timed_out:
                self.gateway.notify(
                    self.id,
                    unique_id,
                    message.action,
                    "late",
                    "the answer to %s of %s came after %ss: the charge point got its"
                    " fallback answer already" % (unique_id, self.id, self.gateway.call_timeout),
                )
                return
            self.gateway.notify(
                self.id,
                unique_id,
                message.action,
                "unknown-call",
                "no CALL %s of %s waits for an answer (answered, timed out or never sent)"
                % (unique_id, self.id),
            )
            return
        event = entry[0]
        if message.action is not None and message.action != event.action:
            self.gateway.notify(
                self.id,
                unique_id,
                message.action,
                "invalid",
                "Action %s does not match the CALL %s, a %s"
                % (message.action, unique_id, event.action),
                field="Action",
                rule="const %s" % event.action,
                code="FormationViolation",
            )
            return
        if message.message_type == codec.CALLERROR:
            outcome = (
                None,
                errors.error_class(message.error_code)(
                    message.error_description, message.error_details
                ),
            )
        else:
            response = self._read_response(event.action, message)
            if response is None:
                return
            outcome = (response, None)
        del self._pending[unique_id]
        entry[1].cancel()
        self._answered.append(unique_id)
        self._answer_now(event, outcome)

    def _read_response(self, action, message):
        """The typed answer in a service's CALLRESULT, or None (refused,
        with a gateway error naming field and rule)."""
        protocol = self.protocol
        reader = getattr(protocol, "read_response", None)
        if reader is not None:
            # one pass that validates and decodes what it can vouch for
            response = reader(action, message.payload)
            if response is not None:
                return response
        try:
            protocol.validate_response(action, message.payload)
            return protocol.decode_response(action, message.payload)
        except protocol.ValidationError as invalid:
            self.gateway.refuse_payload(self.id, message, action, invalid, "conf")
            return None

    # ------------------------------------------------ the services' CALLs

    def service_call(self, message, request):
        """A service's CALL (already checked) for this charge point."""
        unique_id = message.unique_id
        if unique_id in self._taken:
            _LOG.info("%s: duplicate command %s dropped", self.id, unique_id)
            return
        self._taken[unique_id] = True
        if len(self._taken) > REMEMBERED_IDS:
            self._taken.popitem(last=False)
        self._commands[unique_id] = message.action
        task = asyncio.ensure_future(self._run_command(message, request))
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_tasks.discard)

    async def _run_command(self, message, request):
        gateway = self.gateway
        unique_id = message.unique_id
        action = message.action
        try:
            try:
                await self.call(request, suppress=False, unique_id=unique_id)
            finally:
                self._commands.pop(unique_id, None)
        except errors.OCPPError as failure:
            if self._rejected.pop(unique_id, False):
                # the core's ResultRejected: the charge point answered,
                # but not with a usable CALLRESULT
                gateway.notify(
                    self.id,
                    unique_id,
                    action,
                    "invalid-result",
                    "%s answered %s %s with a CALLRESULT that breaks the schema: %s"
                    % (self.id, action, unique_id, failure.description),
                    code=failure.code,
                    details=failure.details,
                )
                return
            gateway.publish(
                gateway.topics.error(self.id),
                codec.error(unique_id, action, failure.code, failure.description, failure.details),
            )
            return
        except errors.CallTimeoutError:
            gateway.notify(
                self.id,
                unique_id,
                action,
                "timeout",
                "%s did not answer %s %s within %ss"
                % (self.id, action, unique_id, gateway.command_timeout),
            )
            return
        except (errors.CallCancelledError, asyncio.CancelledError):
            gateway.notify(
                self.id,
                unique_id,
                action,
                "disconnected",
                "%s disconnected before answering %s %s" % (self.id, action, unique_id),
            )
            return
        except errors.QueueFullError:
            gateway.notify(
                self.id,
                unique_id,
                action,
                "queue-full",
                "%d commands already wait for %s" % (self._session.queue_limit, self.id),
            )
            return
        except errors.UsageError as misuse:
            gateway.notify(self.id, unique_id, action, "refused", str(misuse))
            return
        except Exception as exc:  # the connection failed while sending
            gateway.notify(
                self.id,
                unique_id,
                action,
                "disconnected",
                "sending %s %s to %s failed: %s" % (action, unique_id, self.id, exc),
            )
            return
        payload = self._results.pop(unique_id, {})
        gateway.publish(gateway.topics.reply(self.id), codec.result(unique_id, action, payload))

    def _on_event(self, event):
        if event.kind == "ResultReceived" and event.unique_id in self._commands:
            self._results[event.unique_id] = event.payload
        elif event.kind == "ResultRejected" and event.unique_id in self._commands:
            self._rejected[event.unique_id] = True
        super()._on_event(event)

    # ------------------------------------------------ end

    def close(self):
        for _, timer in self._pending.values():
            timer.cancel()
        self._pending.clear()
        super().close()
