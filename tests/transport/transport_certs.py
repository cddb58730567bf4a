"""Throwaway PKI for the TLS tests (security profiles 2 and 3).

One CA signs the central system certificate (CN 127.0.0.1, IP SAN
127.0.0.1) and charge point certificates (CN = identity, O = operator, no
SAN: whitepaper A00.FR.511). A second, untrusted CA signs a certificate the
central system must refuse. EC P-256 keys keep generation fast.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPERATOR = "Demo Charge Point Operator"


def _name(common_name, organization=OPERATOR):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity(builder):
    now = datetime.datetime.now(datetime.timezone.utc)
    return builder.not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(
        now + datetime.timedelta(days=2)
    )


def _write(folder, stem, certificate, key):
    cert_path = os.path.join(folder, stem + ".pem")
    key_path = os.path.join(folder, stem + ".key")
    with open(cert_path, "wb") as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


class Authority:
    def __init__(self, folder, stem, common_name):
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(common_name)
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        self.certificate = _validity(builder).sign(self.key, hashes.SHA256())
        self.cert_path, _ = _write(folder, stem, self.certificate, self.key)

    def issue(self, stem, common_name, server=False, organization=OPERATOR):
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organization))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        certificate = _validity(builder).sign(self.key, hashes.SHA256())
        return _write(self.folder, stem, certificate, key)


class Pki:
    """Paths: ``ca``, ``server`` (cert, key), ``client(identity)``,
    ``stranger`` (a CP certificate from an untrusted CA)."""

    def __init__(self, folder):
        self.folder = folder
        authority = Authority(folder, "ca", "Test CPO Root")
        self._authority = authority
        self.ca = authority.cert_path
        self.server = authority.issue("server", "127.0.0.1", server=True)
        self._clients = {}
        untrusted = Authority(folder, "other-ca", "Untrusted Root")
        self.stranger = untrusted.issue("stranger", "CP-1")

    def client(self, identity, organization=OPERATOR):
        key = (identity, organization)
        if key not in self._clients:
            stem = "cp-%d" % len(self._clients)
            self._clients[key] = self._authority.issue(stem, identity, organization=organization)
        return self._clients[key]
