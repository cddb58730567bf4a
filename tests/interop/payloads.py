"""One valid request and one valid response (wire form) for every OCPP 1.6
action, shared by every interop pairing and by the node peers (dumped to
JSON for them).

The payloads fill optional fields and nested objects where the schema has
them, so each peer's validator and codec sees more than the required
minimum. They are chosen to be valid for all three implementations at
once: the official schemas (ours, and mobilityhouse ocpp 2.1.0's copy)
and ocpp-rpc 2.2.1's own ocpp1.6 schemas, which differ in details:

* ocpp-rpc's MeterValues has no "Hertz" unit (the official MeterValues
  schema has it; StopTransaction has it in neither, and we accept it there
  by erratum), so no sampled value here uses Hertz;
* ocpp-rpc checks ``format`` (date-time, uri) with ajv-formats, so every
  timestamp carries a zone and every location is an absolute URI;
* charging-rate limits include 7.4 and 0.3, which are multiples of 0.1
  only up to binary floating point: each implementation needs its own
  tolerance there (ours, mobilityhouse's Decimal parsing, ocpp-rpc's
  epsilon), which is the point of using them.
"""

import json

from ocpp16 import protocol

CHARGE_POINT = "ChargePoint"
CENTRAL_SYSTEM = "CentralSystem"

_CHARGING_SCHEDULE = {
    "duration": 86400,
    "startSchedule": "2024-05-01T00:00:00Z",
    "chargingRateUnit": "A",
    "chargingSchedulePeriod": [
        {"startPeriod": 0, "limit": 7.4, "numberPhases": 3},
        {"startPeriod": 3600, "limit": 32.0, "numberPhases": 1},
        {"startPeriod": 7200, "limit": 16},
    ],
    "minChargingRate": 0.3,
}

_SAMPLES = [
    {
        "value": "12345.6",
        "context": "Sample.Periodic",
        "format": "Raw",
        "measurand": "Energy.Active.Import.Register",
        "location": "Outlet",
        "unit": "kWh",
    },
    {
        "value": "7360",
        "context": "Sample.Periodic",
        "measurand": "Power.Active.Import",
        "phase": "L1-N",
        "unit": "W",
    },
    {"value": "229.8", "measurand": "Voltage", "phase": "L2-N", "unit": "V"},
    {"value": "49.98", "measurand": "Frequency"},
    {"value": "81", "measurand": "SoC", "location": "EV", "unit": "Percent"},
    {
        "value": "31.5",
        "measurand": "Temperature",
        "location": "Body",
        "unit": "Celsius",
    },
    {"value": "AQIDBA==", "format": "SignedData", "context": "Trigger"},
]

_HASH_DATA = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "issuerKeyHash": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "serialNumber": "4d2a9f01",
}

_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUQ0FUQUxPRy1JTlRFUk9QLVRFU1QwCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----\n"
)

# action -> wire payload of the request (CALL)
REQUESTS = {
    "Authorize": {"idTag": "04E91C5A123480"},
    "BootNotification": {
        "chargePointVendor": "InteropVendor",
        "chargePointModel": "InteropModel-22kW",
        "chargePointSerialNumber": "SN-0001-INTEROP",
        "chargeBoxSerialNumber": "CB-0001-INTEROP",
        "firmwareVersion": "1.6.0+interop.7",
        "iccid": "8944500102198304826",
        "imsi": "310150123456789",
        "meterType": "DIN-rail MID",
        "meterSerialNumber": "MTR-42",
    },
    "CancelReservation": {"reservationId": 3141},
    "CertificateSigned": {"certificateChain": _PEM + _PEM},
    "ChangeAvailability": {"connectorId": 0, "type": "Inoperative"},
    "ChangeConfiguration": {"key": "MeterValueSampleInterval", "value": "60"},
    "ClearCache": {},
    "ClearChargingProfile": {
        "id": 7,
        "connectorId": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": 2,
    },
    "DataTransfer": {
        "vendorId": "com.example.interop",
        "messageId": "Ping",
        "data": '{"n": 1, "text": "caf\u00e9 \u2603"}',
    },
    "DeleteCertificate": {"certificateHashData": _HASH_DATA},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "ExtendedTriggerMessage": {
        "requestedMessage": "SignChargePointCertificate",
        "connectorId": 0,
    },
    "FirmwareStatusNotification": {"status": "Installed"},
    "GetCompositeSchedule": {
        "connectorId": 1,
        "duration": 3600,
        "chargingRateUnit": "W",
    },
    "GetConfiguration": {"key": ["HeartbeatInterval", "MeterValuesSampledData"]},
    "GetDiagnostics": {
        "location": "ftp://diagnostics.example.com/uploads/",
        "retries": 3,
        "retryInterval": 60,
        "startTime": "2024-04-30T00:00:00Z",
        "stopTime": "2024-05-01T00:00:00.500+02:00",
    },
    "GetInstalledCertificateIds": {"certificateType": "CentralSystemRootCertificate"},
    "GetLocalListVersion": {},
    "GetLog": {
        "log": {
            "remoteLocation": "https://logs.example.com/upload",
            "oldestTimestamp": "2024-04-01T00:00:00Z",
            "latestTimestamp": "2024-05-01T00:00:00Z",
        },
        "logType": "SecurityLog",
        "requestId": 17,
        "retries": 2,
        "retryInterval": 30,
    },
    "Heartbeat": {},
    "InstallCertificate": {
        "certificateType": "ManufacturerRootCertificate",
        "certificate": _PEM,
    },
    "LogStatusNotification": {"status": "Uploading", "requestId": 17},
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 4711,
        "meterValue": [
            {"timestamp": "2024-05-01T10:15:00Z", "sampledValue": _SAMPLES},
            {
                "timestamp": "2024-05-01T10:30:00.250Z",
                "sampledValue": [{"value": "12350.1", "unit": "kWh"}],
            },
        ],
    },
    "RemoteStartTransaction": {
        "connectorId": 2,
        "idTag": "REMOTE-TAG-0001",
        "chargingProfile": {
            "chargingProfileId": 11,
            "transactionId": 4711,
            "stackLevel": 1,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "validFrom": "2024-05-01T00:00:00Z",
            "validTo": "2024-05-02T00:00:00Z",
            "chargingSchedule": _CHARGING_SCHEDULE,
        },
    },
    "RemoteStopTransaction": {"transactionId": 4711},
    "ReserveNow": {
        "connectorId": 1,
        "expiryDate": "2024-05-01T12:00:00Z",
        "idTag": "RESERVE-TAG-01",
        "parentIdTag": "PARENT-TAG-01",
        "reservationId": 3141,
    },
    "Reset": {"type": "Soft"},
    "SecurityEventNotification": {
        "type": "FirmwareUpdated",
        "timestamp": "2024-05-01T09:00:00Z",
        "techInfo": "firmware 1.6.0+interop.7 installed",
    },
    "SendLocalList": {
        "listVersion": 5,
        "localAuthorizationList": [
            {
                "idTag": "LOCAL-TAG-01",
                "idTagInfo": {
                    "status": "Accepted",
                    "expiryDate": "2025-01-01T00:00:00Z",
                    "parentIdTag": "PARENT-TAG-01",
                },
            },
            {"idTag": "LOCAL-TAG-02", "idTagInfo": {"status": "Blocked"}},
            {"idTag": "LOCAL-TAG-03"},
        ],
        "updateType": "Differential",
    },
    "SetChargingProfile": {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 7,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Recurring",
            "recurrencyKind": "Daily",
            "chargingSchedule": _CHARGING_SCHEDULE,
        },
    },
    "SignCertificate": {
        "csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjANBgkqhkiG9w0B\n"
        "-----END CERTIFICATE REQUEST-----\n"
    },
    "SignedFirmwareStatusNotification": {
        "status": "SignatureVerified",
        "requestId": 23,
    },
    "SignedUpdateFirmware": {
        "retries": 1,
        "retryInterval": 120,
        "requestId": 23,
        "firmware": {
            "location": "https://firmware.example.com/fw-1.6.1.bin",
            "retrieveDateTime": "2024-05-01T02:00:00Z",
            "installDateTime": "2024-05-01T03:00:00Z",
            "signingCertificate": _PEM,
            "signature": "MEUCIQDfirmwareSignatureBase64==",
        },
    },
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "04E91C5A123480",
        "meterStart": 12345600,
        "reservationId": 3141,
        "timestamp": "2024-05-01T10:00:00Z",
    },
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "OtherError",
        "info": "cable temperature high",
        "status": "SuspendedEVSE",
        "timestamp": "2024-05-01T10:05:00+01:00",
        "vendorId": "com.example.interop",
        "vendorErrorCode": "E-TEMP-7",
    },
    "StopTransaction": {
        "idTag": "04E91C5A123480",
        "meterStop": 12350100,
        "timestamp": "2024-05-01T11:00:00Z",
        "transactionId": 4711,
        "reason": "EVDisconnected",
        "transactionData": [
            {"timestamp": "2024-05-01T10:00:00Z", "sampledValue": _SAMPLES[:3]},
            {
                "timestamp": "2024-05-01T11:00:00Z",
                "sampledValue": [
                    {
                        "value": "12350.1",
                        "context": "Transaction.End",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "kWh",
                    }
                ],
            },
        ],
    },
    "TriggerMessage": {"requestedMessage": "StatusNotification", "connectorId": 1},
    "UnlockConnector": {"connectorId": 2},
    "UpdateFirmware": {
        "location": "https://firmware.example.com/fw-1.6.1.bin",
        "retries": 4,
        "retrieveDate": "2024-05-01T02:00:00Z",
        "retryInterval": 300,
    },
}

_ID_TAG_INFO = {
    "status": "Accepted",
    "expiryDate": "2024-12-31T23:59:59Z",
    "parentIdTag": "PARENT-TAG-01",
}

# action -> wire payload of the response (CALLRESULT)
RESPONSES = {
    "Authorize": {"idTagInfo": _ID_TAG_INFO},
    "BootNotification": {
        "status": "Accepted",
        "currentTime": "2024-05-01T10:00:00.123Z",
        # long enough that no automatic Heartbeat interleaves with the test
        "interval": 3600,
    },
    "CancelReservation": {"status": "Accepted"},
    "CertificateSigned": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Scheduled"},
    "ChangeConfiguration": {"status": "RebootRequired"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Unknown"},
    "DataTransfer": {"status": "Accepted", "data": '{"n": 2, "echo": "Ping"}'},
    "DeleteCertificate": {"status": "NotFound"},
    "DiagnosticsStatusNotification": {},
    "ExtendedTriggerMessage": {"status": "Accepted"},
    "FirmwareStatusNotification": {},
    "GetCompositeSchedule": {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": "2024-05-01T10:00:00Z",
        "chargingSchedule": {
            "duration": 3600,
            "startSchedule": "2024-05-01T10:00:00Z",
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 11000.0, "numberPhases": 3},
                {"startPeriod": 1800, "limit": 7400.5},
            ],
            "minChargingRate": 1380.1,
        },
    },
    "GetConfiguration": {
        "configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "3600"},
            {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
            {"key": "AuthorizationKey", "readonly": False},
        ],
        "unknownKey": ["MeterValuesSampledData"],
    },
    "GetDiagnostics": {"fileName": "diagnostics-2024-05-01.tar.gz"},
    "GetInstalledCertificateIds": {
        "status": "Accepted",
        "certificateHashData": [_HASH_DATA, dict(_HASH_DATA, serialNumber="77")],
    },
    "GetLocalListVersion": {"listVersion": 5},
    "GetLog": {"status": "Accepted", "filename": "security-2024-05-01.log"},
    "Heartbeat": {"currentTime": "2024-05-01T10:00:05Z"},
    "InstallCertificate": {"status": "Accepted"},
    "LogStatusNotification": {},
    "MeterValues": {},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Rejected"},
    "ReserveNow": {"status": "Occupied"},
    "Reset": {"status": "Accepted"},
    "SecurityEventNotification": {},
    "SendLocalList": {"status": "VersionMismatch"},
    "SetChargingProfile": {"status": "Accepted"},
    "SignCertificate": {"status": "Accepted"},
    "SignedFirmwareStatusNotification": {},
    "SignedUpdateFirmware": {"status": "AcceptedCanceled"},
    "StartTransaction": {"idTagInfo": _ID_TAG_INFO, "transactionId": 4711},
    "StatusNotification": {},
    "StopTransaction": {"idTagInfo": {"status": "Expired"}},
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "UnlockFailed"},
    "UpdateFirmware": {},
}

# The order a charge point sends its actions in: registration first, then
# a transaction, then the rest.
_FIRST = [
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "MeterValues",
    "StopTransaction",
]


def initiated_by(role):
    """Actions an end in ``role`` sends (DataTransfer for both), in the
    order the tests send them."""
    actions = [
        action
        for action, (initiator, _profile) in protocol.ACTIONS.items()
        if initiator in (role, "Both")
    ]
    first = [action for action in _FIRST if action in actions]
    rest = sorted(action for action in actions if action not in first)
    return first + rest


def as_json():
    """The table for a node peer."""
    return json.dumps(
        {
            "requests": REQUESTS,
            "responses": RESPONSES,
            "chargePointActions": initiated_by(CHARGE_POINT),
            "centralSystemActions": initiated_by(CENTRAL_SYSTEM),
        }
    )


def typed_request(action):
    return protocol.decode_request(action, REQUESTS[action])


def typed_response(action):
    return protocol.decode_response(action, RESPONSES[action])
