"""Names: wire camelCase to Python snake_case, and specification type names.

The schemas name almost none of their enumerations and nested objects, so
the names the OCPP 1.6 specification gives them (chapter 7, and the
security whitepaper's datatypes) are listed here, keyed by where a value
set or object is first met. A new value set with no entry stops the
generator with the place to add one, rather than inventing a name.
"""

import keyword

# Where an enumeration is used → the specification's name for it. Several
# places may share one value set; the first in sorted order names the
# class and the others become aliases of it.
ENUM_NAMES = {
    "AuthorizeResponse.idTagInfo.status": "AuthorizationStatus",
    "BootNotificationResponse.status": "RegistrationStatus",
    "CancelReservationResponse.status": "CancelReservationStatus",
    "CertificateSignedResponse.status": "CertificateSignedStatus",
    "ChangeAvailability.type": "AvailabilityType",
    "ChangeAvailabilityResponse.status": "AvailabilityStatus",
    "ChangeConfigurationResponse.status": "ConfigurationStatus",
    "ClearCacheResponse.status": "ClearCacheStatus",
    "ClearChargingProfile.chargingProfilePurpose": "ChargingProfilePurposeType",
    "ClearChargingProfileResponse.status": "ClearChargingProfileStatus",
    "DataTransferResponse.status": "DataTransferStatus",
    "DeleteCertificate.certificateHashData.hashAlgorithm": "HashAlgorithm",
    "DeleteCertificateResponse.status": "DeleteCertificateStatus",
    "DiagnosticsStatusNotification.status": "DiagnosticsStatus",
    "ExtendedTriggerMessage.requestedMessage": "ExtendedMessageTrigger",
    "ExtendedTriggerMessageResponse.status": "ExtendedTriggerMessageStatus",
    "FirmwareStatusNotification.status": "FirmwareStatus",
    "GetCompositeSchedule.chargingRateUnit": "ChargingRateUnitType",
    "GetCompositeScheduleResponse.status": "GetCompositeScheduleStatus",
    "GetInstalledCertificateIds.certificateType": "CertificateUse",
    "GetInstalledCertificateIdsResponse.status": "GetInstalledCertificateStatus",
    "GetLog.logType": "Log",
    "GetLogResponse.status": "LogStatus",
    "InstallCertificate.certificateType": "CertificateUse",
    "InstallCertificateResponse.status": "InstallCertificateStatus",
    "LogStatusNotification.status": "UploadLogStatus",
    "MeterValues.meterValue.sampledValue.context": "ReadingContext",
    "MeterValues.meterValue.sampledValue.format": "ValueFormat",
    "MeterValues.meterValue.sampledValue.location": "Location",
    "MeterValues.meterValue.sampledValue.measurand": "Measurand",
    "MeterValues.meterValue.sampledValue.phase": "Phase",
    "MeterValues.meterValue.sampledValue.unit": "UnitOfMeasure",
    "RemoteStartTransaction.chargingProfile.chargingProfileKind": "ChargingProfileKindType",
    "RemoteStartTransaction.chargingProfile.recurrencyKind": "RecurrencyKindType",
    "RemoteStartTransactionResponse.status": "RemoteStartStopStatus",
    "RemoteStopTransactionResponse.status": "RemoteStartStopStatus",
    "ReserveNowResponse.status": "ReservationStatus",
    "Reset.type": "ResetType",
    "ResetResponse.status": "ResetStatus",
    "SendLocalList.updateType": "UpdateType",
    "SendLocalListResponse.status": "UpdateStatus",
    "SetChargingProfileResponse.status": "ChargingProfileStatus",
    "SignCertificateResponse.status": "GenericStatus",
    "SignedFirmwareStatusNotification.status": "SignedFirmwareStatus",
    "SignedUpdateFirmwareResponse.status": "UpdateFirmwareStatus",
    "StatusNotification.errorCode": "ChargePointErrorCode",
    "StatusNotification.status": "ChargePointStatus",
    "StopTransaction.reason": "Reason",
    "StopTransaction.transactionData.sampledValue.unit": "UnitOfMeasure",
    "TriggerMessage.requestedMessage": "MessageTrigger",
    "TriggerMessageResponse.status": "TriggerMessageStatus",
    "UnlockConnectorResponse.status": "UnlockStatus",
}

# A value set shared by several specification types gets one class; these
# pick its name where the first use's name would be too narrow.
SHARED_ENUM_NAMES = {
    ("Accepted", "Rejected"): "GenericStatus",
    ("Accepted", "NotImplemented", "Rejected"): "TriggerMessageStatus",
}

# Property name → specification name of the nested object it holds, where
# PascalCase of the property name is not already that name.
OBJECT_NAMES = {
    "csChargingProfiles": "ChargingProfile",
    # StopTransaction's meter values lack MeterValues' minItems on
    # sampledValue, so they are a distinct type with their own validator.
    "transactionData": "TransactionData",
    "configurationKey": "KeyValue",
    "localAuthorizationList": "AuthorizationData",
    "log": "LogParameters",
}


def snake_case(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper():
            previous_lower = index > 0 and not name[index - 1].isupper()
            next_lower = index + 1 < len(name) and name[index + 1].islower()
            if index > 0 and (previous_lower or next_lower):
                out.append("_")
            out.append(char.lower())
        else:
            out.append(char)
    result = "".join(out)
    if keyword.iskeyword(result):
        result += "_"
    return result


def pascal_case(name: str) -> str:
    return name[:1].upper() + name[1:]


def definition_name(name: str) -> str:
    """CertificateHashDataType → CertificateHashData; HashAlgorithmEnumType → HashAlgorithm."""
    for suffix in ("EnumType", "Type"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def enum_member_name(value: str) -> str:
    """Wire value → snake_case member, as mobilityhouse ocpp spells them.

    'L1-N' → 'l1_n', 'Energy.Active.Import.Register' → 'energy_active_import_register',
    'SuspendedEVSE' → 'suspended_evse'; short unit-like values are only
    lowered ('kWh' → 'kwh', 'SoC' → 'soc') so SI prefixes stay readable.
    """
    parts = []
    word = ""
    for char in value:
        if char.isalnum():
            word += char
        elif word:
            parts.append(word)
            word = ""
    if word:
        parts.append(word)
    pieces = []
    for part in parts:
        pieces.append(part.lower() if len(part) <= 5 else snake_case(part).rstrip("_"))
    name = "_".join(pieces)
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name
