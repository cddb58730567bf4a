"""Answer-everything peers and a readable frame trace, for ``ocppj serve``,
``ocppj simulate`` and tests that need a peer that says yes.

``answering_class(protocol, role)`` builds a ChargePoint subclass with an
``@on`` handler for every action the other side initiates, each returning a
schema-valid response (``default_response``). ``TracingLink`` wraps a link
and prints every frame with its direction and action.
"""

import datetime
import itertools
import json

from ocppj.routing import on

from .charge_point import ChargePoint

# Wire-form answers to the charge point's CALLs (central system side).
# "{now}" is replaced by the current UTC time.
CENTRAL_SYSTEM_ANSWERS = {
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "BootNotification": {"status": "Accepted", "currentTime": "{now}", "interval": 300},
    "DataTransfer": {"status": "Accepted"},
    "DiagnosticsStatusNotification": {},
    "FirmwareStatusNotification": {},
    "Heartbeat": {"currentTime": "{now}"},
    "LogStatusNotification": {},
    "MeterValues": {},
    "SecurityEventNotification": {},
    "SignCertificate": {"status": "Accepted"},
    "SignedFirmwareStatusNotification": {},
    "StartTransaction": {"idTagInfo": {"status": "Accepted"}, "transactionId": 0},
    "StatusNotification": {},
    "StopTransaction": {"idTagInfo": {"status": "Accepted"}},
}

# Wire-form answers to the central system's CALLs (charge point side).
CHARGE_POINT_ANSWERS = {
    "CancelReservation": {"status": "Accepted"},
    "CertificateSigned": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "DeleteCertificate": {"status": "Accepted"},
    "ExtendedTriggerMessage": {"status": "Accepted"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "GetConfiguration": {"configurationKey": [], "unknownKey": []},
    "GetDiagnostics": {},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "GetLocalListVersion": {"listVersion": 0},
    "GetLog": {"status": "Accepted"},
    "InstallCertificate": {"status": "Accepted"},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "SignedUpdateFirmware": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
}


def utc_now():
    """ISO 8601 UTC with a Z, as OCPP date-times are usually written."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def _fill(value, now):
    if isinstance(value, dict):
        return {key: _fill(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, now) for item in value]
    if value == "{now}":
        return now
    return value


def _mentions_now(value):
    if isinstance(value, dict):
        return any(_mentions_now(item) for item in value.values())
    if isinstance(value, list):
        return any(_mentions_now(item) for item in value)
    return value == "{now}"


def _timed(table):
    return {action for action, answer in table.items() if _mentions_now(answer)}


# Answers that carry the time: only these read the clock (MeterValues and
# StatusNotification answers, most of a central system's traffic, do not).
_CENTRAL_SYSTEM_TIMED = _timed(CENTRAL_SYSTEM_ANSWERS)
_CHARGE_POINT_TIMED = _timed(CHARGE_POINT_ANSWERS)


def default_response(role, action, overrides=None):
    """The wire dict this end (``role``) answers ``action`` with."""
    table, timed = CHARGE_POINT_ANSWERS, _CHARGE_POINT_TIMED
    if role == "CentralSystem":
        table, timed = CENTRAL_SYSTEM_ANSWERS, _CENTRAL_SYSTEM_TIMED
    now = utc_now() if action in timed else None
    answer = _fill(table[action], now)
    if overrides and action in overrides:
        answer.update(overrides[action])
    return answer


def answering_class(protocol, role, overrides=None, name=None):
    """A ChargePoint subclass answering every CALL ``role`` receives with
    ``default_response``; ``overrides`` maps action -> wire fields to
    change (e.g. ``{"BootNotification": {"interval": 10}}``). The
    central-system flavour numbers transactions 1, 2, 3, ..."""
    table = CENTRAL_SYSTEM_ANSWERS if role == "CentralSystem" else CHARGE_POINT_ANSWERS
    namespace = {"role": role, "protocol": protocol}
    counter = itertools.count(1)

    def make_handler(action):
        async def handler(self, **fields):
            wire = default_response(role, action, overrides)
            if action == "StartTransaction" and role == "CentralSystem":
                wire["transactionId"] = next(counter)
            return protocol.decode_response(action, wire)

        handler.__name__ = "answer_" + action
        return on(action)(handler)

    for action in sorted(table):
        if action in protocol.ACTIONS:
            namespace["answer_" + action] = make_handler(action)
    return type(name or "Answering" + role, (ChargePoint,), namespace)


class TracingLink:
    """Delegates to a link and prints each frame: ``label``, an arrow
    (``->`` sent, ``<-`` received), the action (``.conf`` for a
    CALLRESULT, ``.error`` for a CALLERROR, matched by unique id) and the
    payload."""

    def __init__(self, link, label, write=print, width=200):
        self._link = link
        self._label = label
        self._write = write
        self._width = width
        self._actions = {}  # unique id -> action, bounded

    def __getattr__(self, name):
        return getattr(self._link, name)

    async def recv(self):
        text = await self._link.recv()
        self._trace("<-", text)
        return text

    async def send(self, text):
        await self._link.send(text)
        self._trace("->", text)

    def _trace(self, arrow, text):
        # Printing must never break the session: any frame, however
        # malformed, is printed somehow and passed on to the runtime,
        # which answers it as the protocol says.
        try:
            line = self._describe(text)
        except Exception:
            line = "(not an OCPP-J frame) %r" % (text[:80],)
        self._write("%s %s %s" % (self._label, arrow, line))

    def _describe(self, text):
        try:
            frame = json.loads(text)
            kind = frame[0]
            unique_id = frame[1]
        except Exception:
            return "(not an OCPP-J frame) %r" % (text[:80],)
        if not isinstance(unique_id, str):
            # a list or object is no unique id (FormationViolation) and
            # cannot be a key here either
            action, body = "?", frame
        elif kind == 2 and len(frame) > 3:
            action = frame[2]
            if len(self._actions) >= 64:
                self._actions.pop(next(iter(self._actions)))
            self._actions[unique_id] = action
            body = frame[3]
        elif kind == 3 and len(frame) > 2:
            action = "%s.conf" % self._actions.pop(unique_id, "?")
            body = frame[2]
        elif kind == 4 and len(frame) > 3:
            action = "%s.error %s" % (self._actions.pop(unique_id, "?"), frame[2])
            body = frame[3]
        else:
            action, body = "?", frame
        rendered = json.dumps(body, separators=(", ", ": "))
        if len(rendered) > self._width:
            rendered = rendered[: self._width - 3] + "..."
        return "%-32s %s" % (action, rendered)
