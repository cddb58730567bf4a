"""Which charge point identities a central system accepts, and how they
are printed (CPython only).

OCPP-J 1.6 section 3.1.1 puts the identity, percent-encoded as RFC 3986
needs, as the last segment of the connection URL, and sets no character
set. The identity then travels into logs, file names, database keys and
MQTT topics, so the central system accepts only identities that cannot
be mistaken for something else there:

* 1 to ``MAX_IDENTITY_LENGTH`` (255) characters after percent-decoding,
  and the decoded bytes are UTF-8;
* no ``/`` (an encoded ``%2F``): a path separator in a topic or a file
  name would address something else;
* no control character (Unicode category Cc: C0 such as newline and
  escape, DEL, C1), no format character (Cf: bidirectional overrides,
  zero-width characters), no line or paragraph separator (Zl, Zp), no
  surrogate (Cs): these forge log lines, drive a terminal or make two
  different identities print alike;
* it round-trips: every ``%`` in the URL segment starts a ``%XX`` escape,
  so decoding is unambiguous and percent-encoding the identity gives the
  segment back (up to the case of the hex digits and which characters
  the client chose to encode).

Everything else is allowed, spaces and non-ASCII letters included (the
specification's own example is ``RDAM 123``). OCPP 2.0.1 narrows
identities to ``a-z A-Z 0-9 * - _ = : + | @ .``; an ``identity_check``
can enforce that for a fleet that follows it.

Identities are printed through ``printable`` wherever a log line or the
``ocppj`` command shows one, so even an identity that slipped past these
rules (one our own client was configured with, say) shows as escapes.
"""

import re
import unicodedata

# OCPP 1.6 sets no limit on the identity; 2.0.1 uses 48 characters. 255
# keeps every real identity and bounds what a client can make us store.
MAX_IDENTITY_LENGTH = 255

REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "a format character",
    "Cs": "a surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}

_MALFORMED_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def segment_problem(segment):
    """Why a raw (still percent-encoded) URL segment does not round-trip,
    or None."""
    if _MALFORMED_ESCAPE.search(segment):
        return "a '%' that does not start a %XX escape (the identity would not round-trip)"
    return None


def identity_problem(identity):
    """Why ``identity`` (decoded) is not acceptable, or None."""
    if not identity:
        return "an empty charge point identity"
    if len(identity) > MAX_IDENTITY_LENGTH:
        return "charge point identity longer than %d characters" % MAX_IDENTITY_LENGTH
    if "/" in identity:
        return "a '/' in the charge point identity"
    for character in identity:
        category = unicodedata.category(character)
        if category in REFUSED_CATEGORIES:
            return "%s (U+%04X) in the charge point identity" % (
                REFUSED_CATEGORIES[category],
                ord(character),
            )
    return None


def check_identity(identity):
    """Return ``identity`` or raise ``ValueError`` saying why it is refused."""
    if not isinstance(identity, str):
        raise ValueError("a charge point identity is a str, not %s" % type(identity).__name__)
    problem = identity_problem(identity)
    if problem is not None:
        raise ValueError(problem)
    return identity


def printable(text):
    """``text`` with every character that is not printable (and the
    backslash) written as a Python escape, so that a log line shows it
    as it is and nothing in it acts on a terminal."""
    text = str(text)
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for character in text:
        if character == "\\":
            out.append("\\\\")
        elif character.isprintable():
            out.append(character)
        else:
            code = ord(character)
            if code < 0x100:
                out.append("\\x%02x" % code)
            elif code < 0x10000:
                out.append("\\u%04x" % code)
            else:
                out.append("\\U%08x" % code)
    return "".join(out)
