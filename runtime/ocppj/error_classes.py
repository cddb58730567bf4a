"""The exception classes and helpers errors.py makes on demand.

Imported the first time one of them is asked for (see errors.py), so a
connection on which nothing goes wrong never loads this module.
"""

from . import errors

# OCPP-J 1.6 table 7, in table order: ";code=description" for each code
# (the description is the default one of its class). One string: on
# MicroPython each str constant is an object of its own on the heap.
# FormationViolation and OccurenceConstraintViolation are the 1.6 wire
# spellings; the errata (5.1, 5.2) keep them on purpose.
_CALL_ERRORS = (
    ";NotImplemented=Requested Action is not known by receiver"
    ";NotSupported=Requested Action is recognized but not supported by the receiver"
    ";InternalError=An internal error occurred and the receiver was not able to"
    " process the requested Action successfully"
    ";ProtocolError=Payload for Action is incomplete"
    ";SecurityError=During the processing of Action a security issue occurred"
    " preventing receiver from completing the Action successfully"
    ";FormationViolation=Payload for Action is syntactically incorrect or not"
    " conform the PDU structure for Action"
    ";PropertyConstraintViolation=Payload is syntactically correct but at least"
    " one field contains an invalid value"
    ";OccurenceConstraintViolation=Payload for Action is syntactically correct but"
    " at least one of the fields violates occurence constraints"
    ";TypeConstraintViolation=Payload for Action is syntactically correct but at"
    " least one of the fields violates data type constraints"
    ";GenericError=Any other error not covered by the previous ones;"
)

# What errors.<name> finds as defined below, space-separated.
_DEFINED_HERE = " OCPPError UsageError OutgoingValidationError CallTimeoutError CallCancelledError error_class from_call_error describe_validation "

# Plain UsageError subclasses, space-separated.
_MISUSES = " PayloadTypeError WrongDirectionError InvalidUniqueIdError QueueFullError NoSuchCallError SessionClosedError "


def _is_code(code):
    return type(code) is str and _CALL_ERRORS.find(";" + code + "=") >= 0


def _class_name(code):
    if code == "NotImplemented":
        return "NotImplementedCallError"
    if code[-5:] == "Error":
        return code
    return code + "Error"


def _code_of(name):
    """The 1.6 code whose class (or alias) is called ``name``, or None."""
    if name == "FormatViolationError":
        return "FormationViolation"
    if name == "OccurrenceConstraintViolationError":
        return "OccurenceConstraintViolation"
    for code in (name, name[:-5], "NotImplemented"):
        if _is_code(code) and _class_name(code) == name:
            return code
    return None


class OCPPError(Exception):
    """A CallError: ``code``, ``description`` (str) and ``details`` (dict).

    Subclasses fix ``code``. The base class is instantiated directly only for
    a received CALLERROR whose code is not in the 1.6 table; ``code`` then
    holds the peer's string as received.
    """

    code = "GenericError"
    default_description = ""

    def __init__(self, description=None, details=None, code=None):
        if description is None:
            description = self.default_description
        if details is None:
            details = {}
        super().__init__(description)
        if code is not None:
            self.code = code
        self.description = description
        self.details = details

    def __str__(self):
        if self.description:
            return self.code + ": " + self.description
        return self.code

    def __repr__(self):
        return "<OCPPError %s %r %r>" % (self.code, self.description, self.details)


class UsageError(Exception):
    """The application called the API in a way it does not allow."""


class OutgoingValidationError(UsageError):
    """A payload we were asked to send breaks the schema. ``code``, ``path``
    and ``rule`` come from the protocol's ValidationError; the message names
    the action, the field and the rule."""

    def __init__(self, action, validation_error):
        self.action = action
        self.code = getattr(validation_error, "code", "FormationViolation")
        self.path = getattr(validation_error, "path", "")
        self.rule = getattr(validation_error, "rule", "")
        self.validation_error = validation_error
        super().__init__(
            "%s payload not sent: %s" % (action, describe_validation(validation_error))
        )


class CallTimeoutError(Exception):
    """No CALLRESULT or CALLERROR arrived within the response timeout."""

    def __init__(self, unique_id, action, timeout=None):
        self.unique_id = unique_id
        self.action = action
        self.timeout = timeout
        if timeout is None:
            within = "in time"
        else:
            within = "within %ss" % timeout
        super().__init__("%s %s got no response %s" % (action, unique_id, within))


class CallCancelledError(Exception):
    """The connection closed while the CALL waited for its answer."""

    def __init__(self, unique_id, action, reason="connection closed"):
        self.unique_id = unique_id
        self.action = action
        self.reason = reason
        super().__init__("%s %s cancelled: %s" % (action, unique_id, reason))


def make(name):
    """The object ``errors.<name>`` stands for; AttributeError if none."""
    code = _code_of(name)
    if code is not None:
        if name != _class_name(code):  # an alias
            return errors.lookup(_class_name(code))
        start = _CALL_ERRORS.find(";" + code + "=") + len(code) + 2
        description = _CALL_ERRORS[start : _CALL_ERRORS.find(";", start)]
        return type(name, (OCPPError,), {"code": code, "default_description": description})
    if _MISUSES.find(" " + name + " ") >= 0:
        return type(name, (UsageError,), {})
    if name == "ERROR_CLASSES":
        table = {}
        for entry in _CALL_ERRORS.split(";")[1:-1]:
            code = entry[: entry.find("=")]
            table[code] = errors.lookup(_class_name(code))
        return table
    if name == "RECEIVED_SPELLINGS":
        # Accepted when RECEIVING a CALLERROR only: peers that implemented
        # the errata's corrected spellings (OCPP-J 1.6 errata 5.1, 5.2)
        # still mean 1.6.
        return {
            "FormatViolation": errors.lookup("FormationViolationError"),
            "OccurrenceConstraintViolation": errors.lookup("OccurenceConstraintViolationError"),
        }
    if _DEFINED_HERE.find(" " + name + " ") >= 0:
        return globals()[name]
    raise AttributeError(name)


def make_all():
    """Makes every name of errors.py now (firmware without module __getattr__)."""
    names = _MISUSES + _DEFINED_HERE + "ERROR_CLASSES RECEIVED_SPELLINGS"
    names += " FormatViolationError OccurrenceConstraintViolationError"
    for name in names.split():
        errors.lookup(name)


def error_class(code):
    """The OCPPError subclass for a 1.6 wire code, or None."""
    if not _is_code(code):
        return None
    return errors.lookup(_class_name(code))


def from_call_error(code, description, details):
    """Build the exception for a CALLERROR we received.

    Known codes (both spellings) map to their class; an unknown code keeps
    its string on a plain ``OCPPError`` so nothing the peer said is lost.
    """
    cls = error_class(code)
    if cls is None:
        cls = errors.lookup("RECEIVED_SPELLINGS").get(code)
    if cls is None:
        return OCPPError(description, details, code=code)
    return cls(description, details)


def outcome_error(event):
    """What ``ChargePoint.outcome`` raises for the finishing ``event``
    unless it returns: the OCPPError of a CALLERROR or of a rejected
    answer, CallTimeoutError, CallCancelledError."""
    kind = event.kind
    if kind == "CallErrorReceived" or kind == "ResultRejected":
        return event.error
    if kind == "CallTimedOut":
        return CallTimeoutError(event.unique_id, event.action, event.timeout)
    if kind == "CallCancelled":
        return CallCancelledError(event.unique_id, event.action)
    from . import misuse

    return misuse.not_finishing(event)


def describe_validation(validation_error):
    """'path: rule' text for a ValidationError, '(payload)' for the root."""
    path = getattr(validation_error, "path", "")
    rule = getattr(validation_error, "rule", "")
    if not path:
        path = "(payload)"
    return "%s violates %s" % (path, rule)


def __getattr__(name):
    # Classes made with type() live in errors.py's namespace; naming them
    # here too lets tools that resolve a class by its module (pickle) work.
    return errors.lookup(name)
