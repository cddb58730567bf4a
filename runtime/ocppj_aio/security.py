"""OCPP 1.6 security profiles on the WebSocket handshake (CPython only).

The profiles of the OCPP 1.6 security whitepaper (edition 2, section 2):

===  =========================================  ==========================
 0   none: plain ``ws://``, no authentication   (OCPP 1.6 before the whitepaper;
                                                 only on a trusted network)
 1   unsecured transport + HTTP Basic           ``ws://``, A00.FR.201-206
 2   TLS + HTTP Basic                           ``wss://``, A00.FR.301-324
 3   TLS with client-side certificates          ``wss://``, A00.FR.401-429
===  =========================================  ==========================

HTTP Basic (profiles 1 and 2): the username is the charge point identity as
it appears in the connection URL (A00.FR.204/303) and the password is the
AuthorizationKey. OCPP-J 1.6 section 6.2.2 describes that key as 20 raw
bytes, the whitepaper as up to 40 hexadecimal characters; peers in the field
send either, so passwords travel here as ``bytes`` and a ``str`` password is
sent as its UTF-8 encoding.

Profile 3: the central system requires a client certificate that chains to
its CA (TLS does that) and binds it to the identity in the URL. The
whitepaper's binding is the subject's CN holding the charge point's serial
number (A00.FR.405), optionally with the operator's name in O (A00.FR.404);
``common_name_binding`` checks CN == identity (and O when given), and any
callable ``(identity, subject) -> bool`` can replace it.

Both ends use TLS 1.2 or later (A00.FR.312/416) and no TLS compression
(A00.FR.320/424; OpenSSL 1.1+ never compresses).
"""

import base64
import hashlib
import hmac
import logging
import os
import ssl
import urllib.parse

PROFILES = (0, 1, 2, 3)

PROFILE_NAMES = {
    0: "no security profile (plain ws://, no authentication)",
    1: "unsecured transport with Basic authentication",
    2: "TLS with Basic authentication",
    3: "TLS with client side certificates",
}


def check_profile(profile):
    if profile not in PROFILES:
        raise ValueError("security profile must be 0, 1, 2 or 3, not %r" % (profile,))
    return profile


def uses_tls(profile):
    return profile in (2, 3)


def uses_basic_auth(profile):
    return profile in (1, 2)


# ---------------------------------------------------------------- Basic auth


def _password_bytes(password):
    if isinstance(password, str):
        return password.encode("utf-8")
    if isinstance(password, (bytes, bytearray)):
        return bytes(password)
    raise TypeError("a password is str or bytes, not %s" % type(password).__name__)


def basic_authorization(username, password):
    """The value of an ``Authorization`` header for HTTP Basic (RFC 7617)."""
    raw = username.encode("utf-8") + b":" + _password_bytes(password)
    return "Basic " + base64.b64encode(raw).decode("ascii")


def parse_basic_authorization(value):
    """``(username, password bytes)`` from an ``Authorization`` header value,
    or None when it is absent or not well-formed Basic credentials."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (ValueError, TypeError):
        return None
    user, colon, password = raw.partition(b":")
    if not colon:
        return None
    try:
        username = user.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return username, password


class PasswordTable:
    """An authenticator over a fixed ``{identity: password}`` mapping.

    Compares in constant time. Passwords may be str (compared as UTF-8) or
    bytes. For hashed storage (the whitepaper recommends salted password
    hashes on the central system, OCPP-J 6.2.2) write your own async
    ``authenticate(identity, password) -> bool`` instead.
    """

    def __init__(self, passwords):
        self._passwords = {}
        for identity, password in passwords.items():
            self._passwords[identity] = _password_bytes(password)

    async def __call__(self, identity, password):
        expected = self._passwords.get(identity)
        if expected is None:
            # Still spend a comparison so unknown and known identities
            # answer alike.
            hmac.compare_digest(password, password)
            return False
        return hmac.compare_digest(expected, password)


class PasswordFile:
    """An authenticator over a file of per-charge-point AuthorizationKeys
    (whitepaper A01.FR.06: a different password per charge point), read
    again whenever the file changes, so charge points can be added or
    rekeyed without a restart.

    One charge point per line, ``<identity> <key>``, the identity
    percent-encoded as in the connection URL (``RDAM%20123``); blank lines
    and lines starting with ``#`` are ignored. The key is one of

    * ``sha256:<salt hex>:<digest hex>``: SHA-256 of salt + key bytes, what
      the whitepaper recommends storing (A01.FR.08); ``password_entry``
      writes such a line. A fast salted hash fits AuthorizationKeys, which
      are random (at least 16 bytes, A00.FR.205); a slow one would cost
      every reconnect of a fleet dearly;
    * ``hex:<hex>``: the key's bytes (OCPP-J 6.2.2's 20 raw bytes);
    * ``text:<text>``: the key as UTF-8 text (the rest of the line).

    A malformed file raises ValueError naming the line at construction; a
    malformed edit later is logged and the previous contents stay in use.
    """

    def __init__(self, path):
        self.path = path
        self._stamp = None
        self._entries = {}
        self._load()

    async def __call__(self, identity, password):
        self._reload_if_changed()
        entry = self._entries.get(identity)
        if entry is None:
            hmac.compare_digest(password, password)  # answer unknown ids alike
            return False
        kind, salt, expected = entry
        if kind == "sha256":
            return hmac.compare_digest(hashlib.sha256(salt + password).digest(), expected)
        return hmac.compare_digest(expected, password)

    def __contains__(self, identity):
        self._reload_if_changed()
        return identity in self._entries

    def _reload_if_changed(self):
        try:
            stat = os.stat(self.path)
        except OSError:
            return
        if (stat.st_mtime_ns, stat.st_size) == self._stamp:
            return
        try:
            self._load()
        except (OSError, ValueError) as problem:
            logging.getLogger("ocppj.server").error(
                "password file not reloaded, the previous contents stay in use: %s", problem
            )
            self._stamp = (stat.st_mtime_ns, stat.st_size)

    def _load(self):
        stat = os.stat(self.path)
        with open(self.path, "r", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        entries = {}
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                encoded, key = line.split(None, 1)
                identity = urllib.parse.unquote(encoded, errors="strict")
                entries[identity] = _parse_key(key.strip())
            except (ValueError, UnicodeDecodeError) as problem:
                raise ValueError(
                    "%s line %d: expected '<identity> sha256:<salt>:<digest>', "
                    "'<identity> hex:<bytes>' or '<identity> text:<key>' (%s)"
                    % (self.path, number, problem)
                ) from None
        self._entries = entries
        self._stamp = (stat.st_mtime_ns, stat.st_size)


def _parse_key(key):
    kind, _, value = key.partition(":")
    if kind == "sha256":
        salt, _, digest = value.partition(":")
        digest = bytes.fromhex(digest)
        if len(digest) != 32:
            raise ValueError("a SHA-256 digest is 64 hex digits")
        return ("sha256", bytes.fromhex(salt), digest)
    if kind == "hex":
        return ("plain", None, bytes.fromhex(value))
    if kind == "text":
        return ("plain", None, value.encode("utf-8"))
    raise ValueError("unknown key kind %r" % kind)


def password_entry(identity, password, salt=None):
    """A PasswordFile line storing ``password`` as a salted SHA-256."""
    if salt is None:
        salt = os.urandom(16)
    digest = hashlib.sha256(salt + _password_bytes(password)).hexdigest()
    return "%s sha256:%s:%s" % (urllib.parse.quote(identity, safe=""), salt.hex(), digest)


# ---------------------------------------------------------------- TLS


class HandshakeLoggingSSLObject(ssl.SSLObject):
    """An SSLObject that logs why a TLS handshake failed, at WARNING on
    ``ocppj.server``: a client certificate that does not chain to the CA
    ("certificate verify failed: unable to get local issuer certificate"),
    has expired, or is missing ("peer did not return a certificate").
    asyncio drops such a connection without a word (it logs handshake
    errors only in debug mode), so a charge point with a wrong certificate
    was logged by neither side. The TLS layer does not know the peer's
    address; the line says what failed and why."""

    def do_handshake(self):
        try:
            return super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise  # the handshake goes on when more bytes come
        except ssl.SSLError as failure:
            logging.getLogger("ocppj.server").warning(
                "TLS handshake refused: %s", handshake_failure(failure)
            )
            raise


def handshake_failure(failure):
    """A one-line reason for a failed TLS handshake."""
    verify = getattr(failure, "verify_message", None)
    if verify:
        return "the client certificate failed verification: %s" % verify
    reason = getattr(failure, "reason", None) or str(failure)
    if reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE":
        return "the client sent no certificate (security profile 3 requires one)"
    return reason.replace("_", " ").lower()


def log_handshake_failures(context):
    """Make ``context`` log failed handshakes (HandshakeLoggingSSLObject),
    unless it already uses an SSLObject class of its own."""
    if context.sslobject_class is ssl.SSLObject:
        context.sslobject_class = HandshakeLoggingSSLObject
    return context


def server_ssl_context(certfile, keyfile=None, cafile=None, require_client_certificate=False):
    """A TLS server context for profiles 2 and 3.

    ``certfile``/``keyfile``: the central system certificate (chain) and key.
    ``cafile`` and ``require_client_certificate=True`` for profile 3: client
    certificates must chain to ``cafile``.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    if require_client_certificate:
        if cafile is None:
            raise ValueError("client certificates need a cafile to verify them against")
        context.verify_mode = ssl.CERT_REQUIRED
    if cafile is not None:
        context.load_verify_locations(cafile)
    return log_handshake_failures(context)


def client_ssl_context(cafile=None, certfile=None, keyfile=None, check_hostname=True):
    """A TLS client context: verifies the central system against ``cafile``
    (the system store when None) and presents ``certfile`` (profile 3)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = check_hostname
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile)
    return context


def certificate_subject(peercert):
    """``{"CN": [...], "O": [...], ...}`` from ``SSLSocket.getpeercert()``."""
    names = {
        "commonName": "CN",
        "organizationName": "O",
        "organizationalUnitName": "OU",
        "countryName": "C",
        "serialNumber": "serialNumber",
    }
    subject = {}
    if not peercert:
        return subject
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            subject.setdefault(names.get(key, key), []).append(value)
    return subject


def common_name_binding(organization=None):
    """A profile 3 binding check: the certificate's CN equals the identity
    (A00.FR.405) and, when ``organization`` is given, its O equals that
    (A00.FR.404)."""

    def bound(identity, subject):
        if subject.get("CN") != [identity]:
            return False
        if organization is not None and organization not in subject.get("O", ()):
            return False
        return True

    return bound
