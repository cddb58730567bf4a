"""Which payloads a Session checks against the protocol's schemas.

Directions are seen from this end of the session:

* incoming: CALL payloads the peer sends us (``validate_request``) and
  CALLRESULT payloads the peer sends in answer to our CALLs
  (``validate_response``);
* outgoing: CALL payloads we send and CALLRESULT payloads we answer with.

What a relaxation lets through, exactly: the schema checks of the payload
object and nothing else. A payload that skipped them may miss required
fields, carry values of the wrong JSON type, break maxLength / enum / format /
minimum / multipleOf rules and carry properties the schema does not define.
Incoming, it still has to get through the protocol's lenient decoder: if that
fails, a CALL is answered FormationViolation and a CALLRESULT becomes a
``ResultRejected`` event. Outgoing, the object still has to be one of the
protocol's payloads of the right kind and action and must encode to JSON.

Never relaxed: frame checks (UTF-8, JSON, size, depth, array shape, unique
id, payload being a JSON object), unknown actions (NotImplemented), actions
sent in the wrong direction (NotSupported), the one-outstanding-CALL rule and
every queue bound.

A per-action relaxation names one action in one or both directions. Only
DataTransfer travels both ways in 1.6, so for every other action "incoming"
means just the requests (or just the responses) this role receives.
"""

from .errors import UsageError


class Validation:
    def __init__(self, incoming=True, outgoing=True, skip_incoming=(), skip_outgoing=()):
        self.incoming = bool(incoming)
        self.outgoing = bool(outgoing)
        # dicts used as sets: MicroPython 1.13 has set, but dicts keep the
        # memory profile of the other tables and membership tests equal.
        self._skip_incoming = {}
        self._skip_outgoing = {}
        for action in skip_incoming:
            self._skip_incoming[action] = True
        for action in skip_outgoing:
            self._skip_outgoing[action] = True

    def skip(self, action, incoming=True, outgoing=True):
        """Stop checking ``action`` in the given directions."""
        if incoming:
            self._skip_incoming[action] = True
        if outgoing:
            self._skip_outgoing[action] = True

    def checks_incoming(self, action):
        return self.incoming and action not in self._skip_incoming

    def checks_outgoing(self, action):
        return self.outgoing and action not in self._skip_outgoing

    def copy(self):
        """A Validation of its own with the same settings."""
        return Validation(self.incoming, self.outgoing, self._skip_incoming, self._skip_outgoing)

    def __repr__(self):
        return "<Validation incoming=%r outgoing=%r skip_incoming=%r skip_outgoing=%r>" % (
            self.incoming,
            self.outgoing,
            sorted(self._skip_incoming),
            sorted(self._skip_outgoing),
        )


def as_validation(value):
    """None/True: check everything; False: check nothing; or a Validation."""
    if value is None or value is True:
        return Validation()
    if value is False:
        return Validation(incoming=False, outgoing=False)
    if isinstance(value, Validation):
        return value
    raise UsageError("validation must be True, False, None or a Validation")
