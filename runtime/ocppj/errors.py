"""Exceptions of the OCPP-J runtime.

Two families, kept apart on purpose:

* ``OCPPError`` and its subclasses: one per OCPP-J 1.6 CallError code (OCPP-J
  1.6 section 4.2.3, table 7). They describe what goes on the wire in a
  CALLERROR, either one we received or one a handler raises to answer a CALL.
* ``UsageError`` and its subclasses: the application misused the API (sent a
  payload of the wrong type, sent after close, overfilled the queue, ...).
  These never become frames; they are raised to the caller.

``CallTimeoutError`` and ``CallCancelledError`` are what a facade raises to a
caller whose CALL got no answer; they are neither of the above.

Class names are the error code plus ``Error`` (``InternalError`` and friends
already end in Error). The one exception is ``NotImplementedCallError``: the
plain name would shadow Python's builtin ``NotImplementedError``.
"""


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
        return "<%s %s %r %r>" % (
            "OCPPError",
            self.code,
            self.description,
            self.details,
        )


class NotImplementedCallError(OCPPError):
    code = "NotImplemented"
    default_description = "Requested Action is not known by receiver"


class NotSupportedError(OCPPError):
    code = "NotSupported"
    default_description = (
        "Requested Action is recognized but not supported by the receiver"
    )


class InternalError(OCPPError):
    code = "InternalError"
    default_description = "An internal error occurred and the receiver was not able to process the requested Action successfully"


class ProtocolError(OCPPError):
    code = "ProtocolError"
    default_description = "Payload for Action is incomplete"


class SecurityError(OCPPError):
    code = "SecurityError"
    default_description = "During the processing of Action a security issue occurred preventing receiver from completing the Action successfully"


class FormationViolationError(OCPPError):
    # 1.6 wire spelling; the errata (5.2) keep it on purpose.
    code = "FormationViolation"
    default_description = "Payload for Action is syntactically incorrect or not conform the PDU structure for Action"


class PropertyConstraintViolationError(OCPPError):
    code = "PropertyConstraintViolation"
    default_description = "Payload is syntactically correct but at least one field contains an invalid value"


class OccurenceConstraintViolationError(OCPPError):
    # 1.6 wire spelling; the errata (5.1) keep it on purpose.
    code = "OccurenceConstraintViolation"
    default_description = "Payload for Action is syntactically correct but at least one of the fields violates occurence constraints"


class TypeConstraintViolationError(OCPPError):
    code = "TypeConstraintViolation"
    default_description = "Payload for Action is syntactically correct but at least one of the fields violates data type constraints"


class GenericError(OCPPError):
    code = "GenericError"
    default_description = "Any other error not covered by the previous ones"


# Corrected spellings of the errata (and of OCPP 2.x), as aliases so code
# written against those names still finds the 1.6 classes. The wire code
# these classes send stays the 1.6 spelling.
FormatViolationError = FormationViolationError
OccurrenceConstraintViolationError = OccurenceConstraintViolationError

ERROR_CLASSES = {
    "NotImplemented": NotImplementedCallError,
    "NotSupported": NotSupportedError,
    "InternalError": InternalError,
    "ProtocolError": ProtocolError,
    "SecurityError": SecurityError,
    "FormationViolation": FormationViolationError,
    "PropertyConstraintViolation": PropertyConstraintViolationError,
    "OccurenceConstraintViolation": OccurenceConstraintViolationError,
    "TypeConstraintViolation": TypeConstraintViolationError,
    "GenericError": GenericError,
}

# Accepted when RECEIVING a CALLERROR only: peers that implemented the
# errata's corrected spellings (OCPP-J 1.6 errata 5.1, 5.2) still mean 1.6.
RECEIVED_SPELLINGS = {
    "FormatViolation": FormationViolationError,
    "OccurrenceConstraintViolation": OccurenceConstraintViolationError,
}


def error_class(code):
    """The OCPPError subclass for a 1.6 wire code, or None."""
    return ERROR_CLASSES.get(code)


def from_call_error(code, description, details):
    """Build the exception for a CALLERROR we received.

    Known codes (both spellings) map to their class; an unknown code keeps
    its string on a plain ``OCPPError`` so nothing the peer said is lost.
    """
    cls = ERROR_CLASSES.get(code)
    if cls is None:
        cls = RECEIVED_SPELLINGS.get(code)
    if cls is None:
        return OCPPError(description, details, code=code)
    return cls(description, details)


class UsageError(Exception):
    """The application called the API in a way it does not allow."""


class PayloadTypeError(UsageError):
    """The object handed in is not the payload the call needs (not one of the
    protocol's payloads, a response where a request belongs, or the response
    of another action)."""


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


class WrongDirectionError(UsageError):
    """Sending a CALL that only the other role may initiate."""


class InvalidUniqueIdError(UsageError):
    """A caller-chosen unique id that is not a string of at most 36
    characters, or that is already in use on this connection."""


class QueueFullError(UsageError):
    """The bounded queue of CALLs waiting for their turn is full."""


class NoSuchCallError(UsageError):
    """Answering a CALL we did not receive or already answered."""


class SessionClosedError(UsageError):
    """Using a connection after ``close()``."""


class CallTimeoutError(Exception):
    """No CALLRESULT or CALLERROR arrived within the response timeout."""

    def __init__(self, unique_id, action, timeout=None):
        self.unique_id = unique_id
        self.action = action
        self.timeout = timeout
        if timeout is None:
            message = "%s %s got no response in time" % (action, unique_id)
        else:
            message = "%s %s got no response within %ss" % (action, unique_id, timeout)
        super().__init__(message)


class CallCancelledError(Exception):
    """The connection closed while the CALL waited for its answer."""

    def __init__(self, unique_id, action, reason="connection closed"):
        self.unique_id = unique_id
        self.action = action
        self.reason = reason
        super().__init__("%s %s cancelled: %s" % (action, unique_id, reason))


def describe_validation(validation_error):
    """'path: rule' text for a ValidationError, '(payload)' for the root."""
    path = getattr(validation_error, "path", "")
    rule = getattr(validation_error, "rule", "")
    if not path:
        path = "(payload)"
    return "%s violates %s" % (path, rule)
