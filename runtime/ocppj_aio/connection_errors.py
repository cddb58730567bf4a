"""Why a connection attempt failed, in one line a person can act on.

A charge point that cannot connect sees exceptions from several layers:
the socket (refused, reset, unreachable), TLS (certificate checks, a port
that does not speak TLS), and the WebSocket opening handshake (an HTTP
status with the central system's reason in the body). ``explain(exc,
url)`` turns each into one line naming the cause and, where it is known,
what to check. The client keeps the exception itself in ``last_error``;
this is for logs, ``ConnectionFailed`` and the ``ocppj`` command.
"""

import asyncio
import socket
import ssl
import urllib.parse

from websockets.exceptions import InvalidMessage, InvalidStatus, InvalidURI

__all__ = ["explain"]

# What to check after an HTTP refusal of the opening handshake.
_STATUS_HINTS = {
    400: "the central system did not accept the request",
    401: "check the password (AuthorizationKey) and that the identity is known there",
    403: "check the client certificate: its subject must name this charge point",
    404: "check the URL path and the charge point identity at its end",
    409: "a charge point with this identity is already connected",
    503: "the central system is full or shutting down; try again later",
}

# OpenSSL reasons that mean the peer at the other end does not speak TLS.
_NOT_TLS = (
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "HTTP_REQUEST",
)

# TLS alerts a central system sends when it refuses our client certificate.
_CERTIFICATE_REFUSED = (
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "TLSV1_ALERT_ACCESS_DENIED",
)


def _endpoint(url):
    parts = urllib.parse.urlsplit(url or "")
    secure = parts.scheme.lower() == "wss"
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError:
        port = "?"
    return secure, "%s:%s" % (parts.hostname or "?", port)


def _body_line(response):
    body = getattr(response, "body", b"") or b""
    try:
        text = body.decode("utf-8", "replace")
    except AttributeError:
        text = str(body)
    text = " ".join(text.split())
    return text[:200]


def explain(exc, url=None):
    """One line saying why connecting to ``url`` failed with ``exc``."""
    secure, endpoint = _endpoint(url)
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        reason = _body_line(exc.response)
        line = "the central system refused the connection: HTTP %d" % status
        if reason:
            line += " (%s)" % reason
        hint = _STATUS_HINTS.get(status)
        return line + ("; " + hint if hint else "")
    if isinstance(exc, InvalidURI):
        return "%s is not a WebSocket URL: use ws://host:port/path/IDENTITY or wss://..." % (
            exc.uri,
        )
    if isinstance(exc, InvalidMessage):
        if isinstance(exc.__cause__, EOFError):
            if secure:
                return (
                    "%s closed the connection during the opening handshake: with wss://"
                    " that usually means it refused our TLS client certificate"
                    " (check the certificate and key, and that it trusts their CA)" % endpoint
                )
            return (
                "%s closed the connection during the opening handshake: if it expects TLS,"
                " use wss://" % endpoint
            )
        return "%s did not answer like a WebSocket server: %s" % (endpoint, exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            "the TLS certificate of %s was not accepted: %s; check the CA file"
            " (and the host name in the URL)" % (endpoint, exc.verify_message or exc.reason)
        )
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if reason in _NOT_TLS:
            return "%s does not speak TLS (%s): use ws:// for security profiles 0 and 1" % (
                endpoint,
                reason,
            )
        if reason in _CERTIFICATE_REFUSED:
            return (
                "%s refused our TLS client certificate (%s): check the certificate and key,"
                " and that it trusts their CA" % (endpoint, reason)
            )
        return "TLS with %s failed: %s" % (endpoint, reason)
    if isinstance(exc, ConnectionRefusedError):
        return "nothing listens at %s (connection refused): is the central system running?" % (
            endpoint
        )
    if isinstance(exc, ConnectionResetError):
        if secure:
            return (
                "%s reset the connection during the TLS handshake: if it does not speak TLS"
                " there, use ws://" % endpoint
            )
        return "%s reset the connection" % endpoint
    if isinstance(exc, socket.gaierror):
        return "cannot resolve the host of %s: %s" % (endpoint, exc.strerror or exc)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "%s did not complete the opening handshake in time" % endpoint
    if isinstance(exc, OSError) and exc.strerror:
        return "cannot connect to %s: %s" % (endpoint, exc.strerror)
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__
