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

Every name below, the two bases included, is made the first time it is
asked for (``errors.GenericError``, ``from .errors import QueueFullError``,
``except errors.NoSuchCallError``), from error_classes.py, and kept: each
name is always the same class, so ``isinstance`` and ``except`` work as
usual, and on a MicroPython device a session on which nothing goes wrong
loads no exception class at all (the runtime names one only where something
failed: an ``except`` clause is evaluated once an exception is raised).
Attribute access goes through the module's ``__getattr__`` (PEP 562);
``lookup(name)`` does the same as a function. On firmware built without
module ``__getattr__`` (MICROPY_MODULE_GETATTR off) every name is made at
import instead (see MODULE_GETATTR), so ``errors.<name>`` works everywhere,
only without the saving. MicroPython's ``dir(errors)`` asks for every interned name, so it
makes them all too.

The names made on demand:

* ``OCPPError``: a CallError, with ``code``, ``description`` (str) and
  ``details`` (dict); the base of the classes of table 7.
* ``UsageError``: the application called the API in a way it does not
  allow; the base of the misuse classes below.
* CallError codes (table 7): NotImplementedCallError, NotSupportedError,
  InternalError, ProtocolError, SecurityError, FormationViolationError,
  PropertyConstraintViolationError, OccurenceConstraintViolationError,
  TypeConstraintViolationError, GenericError; ``FormatViolationError`` and
  ``OccurrenceConstraintViolationError`` are aliases with the errata's
  corrected spellings (the wire code stays the 1.6 spelling).
* Misuse: PayloadTypeError (the object handed in is not the payload the call
  needs: not one of the protocol's payloads, a response where a request
  belongs, or the response of another action), OutgoingValidationError (a
  payload we were asked to send breaks the schema; ``code``, ``path`` and
  ``rule`` come from the protocol's ValidationError), WrongDirectionError
  (a CALL only the other role may initiate), InvalidUniqueIdError (a
  caller-chosen unique id that is not a string of at most 36 characters or
  is already in use), QueueFullError (the bounded queue of CALLs waiting for
  their turn is full), NoSuchCallError (answering a CALL we did not receive
  or already answered), SessionClosedError (using a connection after
  ``close()``).
* CallTimeoutError (no CALLRESULT or CALLERROR within the response
  timeout) and CallCancelledError (the connection closed while the CALL
  waited for its answer).
* ``ERROR_CLASSES`` (1.6 code -> class) and ``RECEIVED_SPELLINGS`` (the
  errata's corrected codes, accepted when receiving only -> class).
* ``error_class(code)``: the class of a 1.6 wire code, or None.
* ``from_call_error(code, description, details)``: the exception for a
  CALLERROR we received.
* ``describe_validation(validation_error)``: "path violates rule" text.
"""


def lookup(name):
    """``errors.<name>``: a class, table or function of the list above,
    made on first use; AttributeError for any other name."""
    value = globals().get(name)
    if value is None:
        if name[:1] == "_":  # __path__, __all__, ... that tools ask for
            raise AttributeError(name)
        from . import error_classes

        value = error_classes.make(name)
        globals()[name] = value
    return value


def __getattr__(name):
    if name == "MODULE_GETATTR":  # asked for once below, before it is set
        return True
    return lookup(name)


# Whether this interpreter calls a module's __getattr__ (PEP 562). Without
# it (MicroPython built with MICROPY_MODULE_GETATTR off) the names made on
# demand here and in events.py and framing.py are made at import instead.
try:
    import sys

    MODULE_GETATTR = getattr(sys.modules[__name__], "MODULE_GETATTR", None) is True
except Exception:
    MODULE_GETATTR = False
if not MODULE_GETATTR:
    from . import error_classes

    error_classes.make_all()
