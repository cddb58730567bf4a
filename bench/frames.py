"""Charge-point CALL frames as they arrive on the wire, for the benchmarks.

Values are what a real AC charger sends: every optional field present, so
the validators and codecs do their full work. Texts are compact JSON,
built once from the payloads below.
"""

import json

UNIQUE_ID = "b4f3c1d2-6a5e-4f7b-9c8d-0e1f2a3b4c5d"
TIMESTAMP = "2024-05-17T09:41:27.318Z"


def sampled_values(count, context="Sample.Periodic"):
    """`count` sampled values with all seven fields set, cycling through
    the eight measurands an AC charger reports in one reading."""
    kinds = (
        ("Energy.Active.Import.Register", "Outlet", "Wh", "L1", "18432.7"),
        ("Power.Active.Import", "Outlet", "W", "L1", "7321.4"),
        ("Current.Import", "Outlet", "A", "L1", "31.8"),
        ("Current.Import", "Outlet", "A", "L2", "31.6"),
        ("Current.Import", "Outlet", "A", "L3", "31.9"),
        ("Voltage", "Inlet", "V", "L1-N", "229.8"),
        ("Temperature", "Body", "Celsius", "N", "41.5"),
        ("SoC", "EV", "Percent", "N", "63"),
    )
    values = []
    for index in range(count):
        measurand, location, unit, phase, value = kinds[index % len(kinds)]
        values.append(
            {
                "value": value,
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "phase": phase,
                "location": location,
                "unit": unit,
            }
        )
    return values


def meter_values_payload(readings, per_reading):
    return {
        "connectorId": 1,
        "transactionId": 48213,
        "meterValue": [
            {
                "timestamp": "2024-05-17T09:4%d:00Z" % minute,
                "sampledValue": sampled_values(per_reading),
            }
            for minute in range(readings)
        ],
    }


# (label, action, payload): the mix, one of each.
PAYLOADS = [
    (
        "BootNotification",
        "BootNotification",
        {
            "chargePointVendor": "Alfen BV",
            "chargePointModel": "NG920-61023",
            "chargePointSerialNumber": "ACE0815423",
            "chargeBoxSerialNumber": "CB-2023-004211",
            "firmwareVersion": "6.4.0-4170",
            "iccid": "8931440400012345678",
            "imsi": "204043712345678",
            "meterType": "ABB B23 312-100",
            "meterSerialNumber": "7031412",
        },
    ),
    ("Heartbeat", "Heartbeat", {}),
    (
        "StatusNotification",
        "StatusNotification",
        {
            "connectorId": 1,
            "errorCode": "NoError",
            "status": "Charging",
            "info": "Cable locked",
            "timestamp": TIMESTAMP,
            "vendorId": "com.alfen",
            "vendorErrorCode": "0",
        },
    ),
    ("Authorize", "Authorize", {"idTag": "04A2B3C4D5E680"}),
    (
        "StartTransaction",
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": "04A2B3C4D5E680",
            "meterStart": 18290,
            "reservationId": 77,
            "timestamp": TIMESTAMP,
        },
    ),
    ("MeterValues 1", "MeterValues", meter_values_payload(1, 1)),
    ("MeterValues 3x8", "MeterValues", meter_values_payload(3, 8)),
    (
        "StopTransaction",
        "StopTransaction",
        {
            "meterStop": 24961,
            "timestamp": "2024-05-17T11:02:44Z",
            "transactionId": 48213,
            "idTag": "04A2B3C4D5E680",
            "reason": "EVDisconnected",
            "transactionData": [
                {
                    "timestamp": "2024-05-17T09:41:27Z",
                    "sampledValue": sampled_values(2, "Transaction.Begin"),
                },
                {
                    "timestamp": "2024-05-17T11:02:44Z",
                    "sampledValue": sampled_values(2, "Transaction.End"),
                },
            ],
        },
    ),
    (
        "DataTransfer",
        "DataTransfer",
        {
            "vendorId": "com.alfen",
            "messageId": "SessionCost",
            "data": '{"sessionId":48213,"cost":4.71,"currency":"EUR"}',
        },
    ),
]


def call_text(action, payload):
    return json.dumps([2, UNIQUE_ID, action, payload], separators=(",", ":"))
