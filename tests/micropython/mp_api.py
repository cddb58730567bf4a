"""API checks of the MicroPython flavour, run under MicroPython (and CPython).

usage: micropython mp_api.py PACKAGE_PARENT
Prints "PASS name" / "FAIL name: why" per check, then the enum member names
as "ENUM name member value" lines for the caller to compare with CPython's.
"""

import sys

sys.path.insert(0, sys.argv[1])

from ocpp16 import call, call_result, enums, handlers, protocol  # noqa: E402

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def raises(exception, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exception as error:
        return error
    raise AssertionError("%r did not raise" % (fn,))


@check
def payload_classes_keep_the_port_names_and_isinstance():
    assert call.BootNotificationPayload is call.BootNotification
    assert call_result.BootNotificationPayload is protocol.response_class("BootNotification")
    assert call.BootNotification is not call_result.BootNotification
    wire = {"currentTime": "2024-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}
    response = protocol.decode_response("BootNotification", wire)
    assert isinstance(response, call_result.BootNotificationPayload)
    assert not isinstance(response, call.BootNotificationPayload)
    assert response.current_time == "2024-01-01T00:00:00Z" and response.interval == 300
    assert response.status == enums.RegistrationStatus.accepted
    assert protocol.action_of(response) == "BootNotification" and not protocol.is_request(response)
    assert protocol.encode(response) == wire


@check
def constructors_behave_like_dataclasses():
    a = call.AuthorizePayload("TAG-1")
    b = call.AuthorizePayload(id_tag="TAG-1")
    assert a == b and not (a != b) and a != call.AuthorizePayload(id_tag="TAG-2")
    assert repr(a) == "Authorize(id_tag='TAG-1')"
    boot = call.BootNotificationPayload("vendor", "model", firmware_version="1.0")
    assert boot.charge_point_serial_number is None and boot.firmware_version == "1.0"
    raises(TypeError, call.BootNotificationPayload, charge_point_vendor="v")
    raises(TypeError, call.AuthorizePayload, "a", id_tag="b")
    raises(TypeError, call.AuthorizePayload, "a", "b")
    raises(TypeError, call.AuthorizePayload, id_tag="a", idTag="b")
    assert protocol.request_kwargs(boot) == {
        "charge_point_vendor": "vendor",
        "charge_point_model": "model",
        "firmware_version": "1.0",
    }


@check
def nested_types_accept_snake_case_dicts():
    request = call.StartTransactionPayload(
        connector_id=1, id_tag="T", meter_start=0, timestamp="2024-01-01T00:00:00Z"
    )
    assert protocol.encode(request)["meterStart"] == 0
    answer = call_result.StartTransactionPayload(
        transaction_id=7, id_tag_info={"status": "Accepted", "parent_id_tag": "P"}
    )
    wire = protocol.encode(answer)
    assert wire == {"transactionId": 7, "idTagInfo": {"status": "Accepted", "parentIdTag": "P"}}, (
        wire
    )
    protocol.validate_response("StartTransaction", wire)
    back = protocol.decode_response("StartTransaction", wire)
    assert back.id_tag_info.parent_id_tag == "P" and back.id_tag_info.expiry_date is None


@check
def unknown_names_are_attribute_errors():
    raises(AttributeError, getattr, call, "NoSuchActionPayload")
    raises(AttributeError, getattr, enums, "NoSuchEnum")
    raises(KeyError, protocol.validate_request, "NoSuchAction", {})
    raises(KeyError, protocol.request_class, "NoSuchAction")
    assert protocol.action_of({"idTag": "x"}) is None
    raises(TypeError, protocol.encode, {"idTag": "x"})


@check
def validation_errors_carry_code_path_and_rule():
    error = raises(
        protocol.ValidationError,
        protocol.validate_request,
        "StopTransaction",
        {
            "meterStop": 1,
            "timestamp": "2024-01-01T00:00:00Z",
            "transactionId": 1,
            "transactionData": [
                {
                    "timestamp": "2024-01-01T00:00:00Z",
                    "sampledValue": [{"value": "1", "unit": "Wh"}, {"value": 2}],
                }
            ],
        },
    )
    assert (error.code, error.path, error.rule) == (
        "TypeConstraintViolation",
        "transactionData[0].sampledValue[1].value",
        "type string",
    )
    assert (
        str(error)
        == "transactionData[0].sampledValue[1].value: type string (TypeConstraintViolation)"
    )
    error = raises(protocol.ValidationError, protocol.validate_request, "Heartbeat", [])
    assert (error.code, error.path) == ("FormationViolation", "")


@check
def max_length_counts_characters_on_a_build_without_unicode():
    # QuecPython's MicroPython 1.13 has no unicode strings: a str holds the
    # UTF-8 bytes and len() counts bytes. Act as that build: flip the flag
    # and hand over strings made of one character per UTF-8 byte.
    def as_bytes(text):
        return "".join([chr(b) for b in text.encode()])

    assert protocol.UNICODE is True
    wide = "\u00e9" * 20  # 20 characters, 40 UTF-8 bytes
    protocol.validate_request("Authorize", {"idTag": wide})
    protocol.UNICODE = False
    try:
        assert len(as_bytes(wide)) == 40 and protocol.text_length(as_bytes(wide)) == 20
        assert protocol.text_length(as_bytes("\u20ac\u4e2d" * 3 + "ab")) == 8
        protocol.validate_request("Authorize", {"idTag": as_bytes(wide)})
        error = raises(
            protocol.ValidationError,
            protocol.validate_request,
            "Authorize",
            {"idTag": as_bytes(wide + "\u00e9")},
        )
        assert (error.path, error.rule) == ("idTag", "maxLength 20")
    finally:
        protocol.UNICODE = True


@check
def handler_stubs_are_marked_and_raise():
    table = handlers.ChargePointHandlers.OCPP_HANDLERS
    assert table["Reset"] == "on_reset" and "BootNotification" not in table
    assert handlers.ChargePointHandlers.on_reset.ocpp_stub is True
    assert "BootNotification" in handlers.CentralSystemHandlers.OCPP_HANDLERS
    assert (
        "DataTransfer" in table and "DataTransfer" in handlers.CentralSystemHandlers.OCPP_HANDLERS
    )

    class Mine(handlers.ChargePointHandlers):
        def on_reset(self, type):
            return call_result.ResetPayload(status="Accepted")

    assert getattr(Mine.on_reset, "ocpp_stub", False) is False
    raises(NotImplementedError, Mine().on_unlock_connector, connector_id=1)


@check
def enums_are_str_constants_with_aliases():
    assert enums.ResetStatus.accepted == "Accepted"
    assert enums.Measurand.energy_active_import_register == "Energy.Active.Import.Register"
    assert enums.Action.boot_notification == "BootNotification"
    assert enums.values("ChargePointStatus")[0] == "Available"


def main():
    for fn in CHECKS:
        name = fn.__name__
        try:
            fn()
            print("PASS %s" % name)
        except Exception as error:
            print("FAIL %s: %s %r" % (name, type(error).__name__, error))
    for name in sys.argv[2:]:
        cls = enums.enum(name)
        for value in enums.values(name) if name != "Action" else protocol.ACTIONS:
            member = enums.member_name(value) if name != "Action" else protocol.snake_case(value)
            assert getattr(cls, member) == value
            print("ENUM %s %s %s" % (name, member, value))
            if name == "Action":  # also under its own name, as the port spells it
                assert getattr(cls, value) == value
                print("ENUM %s %s %s" % (name, value, value))
    print("DONE")


main()
