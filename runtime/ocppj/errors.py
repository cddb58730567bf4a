"""Exceptions of the OCPP-J runtime.

Two families, kept apart on purpose:

* ``OCPPError`` and its subclasses: one per OCPP-J 1.6 CallError code (OCPP-J
  1.6 section 4.2.3, table 7), named after the code. They describe what goes
  on the wire in a CALLERROR, either one we received or one a handler raises
  to answer a CALL.
* ``UsageError`` and its subclasses: the application misused the API (sent a
  payload of the wrong type, sent after close, overfilled the queue, ...).
  These never become frames; they are raised to the caller.

``CallTimeoutError`` and ``CallCancelledError`` are what a facade raises to a
caller whose CALL got no answer; they are neither of the above.

Each CallError class also answers to the name of earlier releases, the code
plus ``Error`` (``FormationViolationError``; ``NotImplementedCallError``,
which does not shadow Python's ``NotImplementedError``), and
``FormatViolationError`` / ``OccurrenceConstraintViolationError`` name the
errata's corrected spellings. The wire code is always the 1.6 spelling.
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
        return "<OCPPError %s %r %r>" % (self.code, self.description, self.details)


# OCPP-J 1.6 table 7, in table order, with the table's descriptions.


class NotImplemented(OCPPError):  # noqa: A001 (the 1.6 code; NotImplementedCallError too)
    """The action is not known by the receiver."""

    code = "NotImplemented"
    default_description = "Requested Action is not known by receiver"


class NotSupported(OCPPError):
    """The action is known but not supported by the receiver."""

    code = "NotSupported"
    default_description = "Requested Action is recognized but not supported by the receiver"


class InternalError(OCPPError):
    """The receiver could not process the action (our internals stay private)."""

    code = "InternalError"
    default_description = (
        "An internal error occurred and the receiver was not able to process the"
        " requested Action successfully"
    )


class ProtocolError(OCPPError):
    """The payload (in the runtime: the frame) is incomplete."""

    code = "ProtocolError"
    default_description = "Payload for Action is incomplete"


class SecurityError(OCPPError):
    """A security issue kept the receiver from completing the action."""

    code = "SecurityError"
    default_description = (
        "During the processing of Action a security issue occurred preventing receiver"
        " from completing the Action successfully"
    )


class FormationViolation(OCPPError):
    """The frame or payload is syntactically wrong (the errata spell it
    FormatViolation; 1.6 peers send this spelling)."""

    code = "FormationViolation"
    default_description = (
        "Payload for Action is syntactically incorrect or not conform the PDU structure for Action"
    )


class PropertyConstraintViolation(OCPPError):
    """A field holds a value its schema does not allow."""

    code = "PropertyConstraintViolation"
    default_description = (
        "Payload is syntactically correct but at least one field contains an invalid value"
    )


class OccurenceConstraintViolation(OCPPError):
    """A field occurs too often or too rarely (the 1.6 spelling, kept by
    the errata)."""

    code = "OccurenceConstraintViolation"
    default_description = (
        "Payload for Action is syntactically correct but at least one of the fields"
        " violates occurence constraints"
    )


class TypeConstraintViolation(OCPPError):
    """A field has the wrong data type."""

    code = "TypeConstraintViolation"
    default_description = (
        "Payload for Action is syntactically correct but at least one of the fields"
        " violates data type constraints"
    )


class GenericError(OCPPError):
    """Any other error."""

    code = "GenericError"
    default_description = "Any other error not covered by the previous ones"


# The names of earlier releases, and the errata's corrected spellings.
NotImplementedCallError = NotImplemented
NotSupportedError = NotSupported
FormationViolationError = FormationViolation
FormatViolationError = FormationViolation
PropertyConstraintViolationError = PropertyConstraintViolation
OccurenceConstraintViolationError = OccurenceConstraintViolation
OccurrenceConstraintViolationError = OccurenceConstraintViolation
TypeConstraintViolationError = TypeConstraintViolation

# 1.6 wire code -> class.
ERROR_CLASSES = {
    "NotImplemented": NotImplemented,
    "NotSupported": NotSupported,
    "InternalError": InternalError,
    "ProtocolError": ProtocolError,
    "SecurityError": SecurityError,
    "FormationViolation": FormationViolation,
    "PropertyConstraintViolation": PropertyConstraintViolation,
    "OccurenceConstraintViolation": OccurenceConstraintViolation,
    "TypeConstraintViolation": TypeConstraintViolation,
    "GenericError": GenericError,
}

# Accepted when RECEIVING a CALLERROR only: peers that implemented the
# errata's corrected spellings (OCPP-J 1.6 errata 5.1, 5.2) still mean 1.6.
RECEIVED_SPELLINGS = {
    "FormatViolation": FormationViolation,
    "OccurrenceConstraintViolation": OccurenceConstraintViolation,
}


def error_class(code):
    """The OCPPError subclass of a 1.6 wire code, or None."""
    if type(code) is not str:
        return None
    return ERROR_CLASSES.get(code)


def from_call_error(code, description, details):
    """The exception for a CALLERROR we received.

    Known codes (both spellings) map to their class; an unknown code keeps
    its string on a plain ``OCPPError`` so nothing the peer said is lost.
    """
    cls = error_class(code)
    if cls is None:
        cls = RECEIVED_SPELLINGS.get(code)
    if cls is None:
        return OCPPError(description, details, code=code)
    return cls(description, details)


def describe_validation(validation_error):
    """'path violates rule' for a protocol's ValidationError; the payload
    itself is '(payload)'."""
    path = getattr(validation_error, "path", "")
    rule = getattr(validation_error, "rule", "")
    if not path:
        path = "(payload)"
    return "%s violates %s" % (path, rule)


class UsageError(Exception):
    """The application called the API in a way it does not allow."""


class PayloadTypeError(UsageError):
    """The object handed in is not the payload the call needs: not one of the
    protocol's payloads, a response where a request belongs, the response of
    another action, or one that cannot be encoded."""


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
    """A CALL that only the other role may send."""


class InvalidUniqueIdError(UsageError):
    """A unique id the caller chose that is not a string of at most 36
    characters, or that a pending CALL already uses."""


class QueueFullError(UsageError):
    """The bounded queue of CALLs waiting for their turn is full."""


class NoSuchCallError(UsageError):
    """An answer to a CALL we did not receive or have answered already."""


class SessionClosedError(UsageError):
    """The session was used after ``close()``."""


class CallTimeoutError(Exception):
    """No CALLRESULT or CALLERROR arrived within the response timeout."""

    def __init__(self, unique_id, action, timeout=None):
        self.unique_id = unique_id
        self.action = action
        self.timeout = timeout
        within = "in time"
        if timeout is not None:
            within = "within %ss" % timeout
        super().__init__("%s %s got no response %s" % (action, unique_id, within))


class CallCancelledError(Exception):
    """The session closed while the CALL waited for its answer."""

    def __init__(self, unique_id, action, reason="connection closed"):
        self.unique_id = unique_id
        self.action = action
        self.reason = reason
        super().__init__("%s %s cancelled: %s" % (action, unique_id, reason))
