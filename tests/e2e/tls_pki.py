"""A test PKI: a CA that issues server and client certificates (EC P-256), and a
second CA nobody trusts. Shared by the TLS tests and the JWKS-URL tests."""
from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []
    return x509.Name(attrs + [x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_pem(path: Path, key, cert) -> None:
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class Ca:
    def __init__(self, cn: str):
        now = datetime.datetime.now(datetime.UTC)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(cn)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )  # fmt: skip

    def issue(self, path: Path, cn: str, org: str | None = None, server: bool = False,
              expired: bool = False, names: tuple[str, ...] = ("localhost", "127.0.0.1"),
              ) -> int:  # fmt: skip
        """Writes path.key and path.crt; returns the certificate's serial."""
        now = datetime.datetime.now(datetime.UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=7)
        if expired:
            start, end = now - datetime.timedelta(days=10), now - datetime.timedelta(days=2)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, org)).issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
        )  # fmt: skip
        if server:
            sans: list[x509.GeneralName] = []
            for name in names:
                try:
                    sans.append(x509.IPAddress(ipaddress.ip_address(name)))
                except ValueError:
                    sans.append(x509.DNSName(name))
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        _write_pem(path, key, cert)
        return cert.serial_number

    def write(self, path: Path) -> str:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return str(path)


class Pki:
    """A CA with a server and client certificates, and a CA the server does not trust."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.ca = Ca("inferd test CA")
        self.ca_file = self.ca.write(root / "ca.crt")
        self.server_serial = self.ca.issue(root / "server", "inferd-test-server", server=True)
        self.ca.issue(root / "alice", "alice", org="acme")
        self.ca.issue(root / "expired", "old-alice", org="acme", expired=True)
        self.rogue = Ca("rogue CA")
        self.rogue_ca_file = self.rogue.write(root / "rogue-ca.crt")
        self.rogue.issue(root / "mallory", "mallory", org="acme")

    def path(self, stem: str, ext: str) -> str:
        return str(self.root / f"{stem}.{ext}")

    def pair(self, stem: str) -> tuple[str, str]:
        """(cert, key) for requests' cert=."""
        return self.path(stem, "crt"), self.path(stem, "key")

    def server_args(self, client_auth: str | None = "required") -> list[str]:
        args = ["--https-port", "0", "--grpcs-port", "0",
                "--tls-cert", self.path("server", "crt"), "--tls-key", self.path("server", "key")]  # fmt: skip
        if client_auth is not None:
            args += ["--tls-client-ca", self.ca_file, "--tls-client-auth", client_auth]
        return args
