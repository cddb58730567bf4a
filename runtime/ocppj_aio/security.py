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
import hmac
import ssl

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


# ---------------------------------------------------------------- TLS


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
    return context


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
