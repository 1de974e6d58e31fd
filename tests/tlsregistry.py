"""A real registry over TLS for the tests: the open registry's storage, served over https.

`docker-registry serve`, started and stopped like the other registries (`infra.spawn`,
`infra.stop`, so `infra.py down` also ends one a crashed run leaves), with a server certificate
for this machine's own non-loopback address issued by a throwaway CA made here (imagepin speaks
plain http to loopback hosts, so the address must not be loopback). It reads the same filesystem
storage as the open registry on 127.0.0.1:5000, so an image pushed there can be resolved over
https here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import infra

NAME = "registry-tls"
CA_NAME = "imagepin test CA"


def local_address() -> str:
    """This machine's IPv4 address on its default route (docker0's when there is none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # picks the route; a UDP connect sends nothing
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if address and not ipaddress.ip_address(address).is_loopback:
        return address
    out = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "scope", "global"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in out.splitlines():
        return line.split()[3].split("/")[0]
    raise RuntimeError("no non-loopback IPv4 address on this machine for the TLS registry")


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def certificate(
    subject: str,
    public_key: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
    issuer: str | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> x509.Certificate:
    """A certificate for `subject` valid from 5 minutes ago for a day, signed by `signer` (its
    issuer is `subject` itself unless named), with `(extension, critical)` pairs."""
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or subject)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(signer, hashes.SHA256())


def make_certificates(folder: Path, address: str) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for `address`, as PEM files."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    signs_certificates = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    ca = certificate(
        CA_NAME,
        ca_key.public_key(),
        ca_key,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (signs_certificates, True),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = certificate(
        address,
        key.public_key(),
        ca_key,
        issuer=CA_NAME,
        extensions=[
            (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), False),
            (x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    pem = serialization.Encoding.PEM
    return (
        _pem(folder / "ca.pem", ca.public_bytes(pem)),
        _pem(folder / "server.pem", server.public_bytes(pem)),
        _pem(
            folder / "server-key.pem",
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        ),
    )


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


class TlsRegistry:
    """`with TlsRegistry(folder) as reg:` serves the open registry's storage on `reg.host`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.address = local_address()
        self.host = ""
        self.ca, self.cert, self.key = make_certificates(folder, self.address)
        # skopeo's --cert-dir reads *.crt as CA certificates
        self.cert_dir = folder / "certs.d"
        self.cert_dir.mkdir()
        shutil.copy(self.ca, self.cert_dir / "ca.crt")

    def __enter__(self) -> TlsRegistry:
        storage = infra.STATE / "registry-open-data"
        if not storage.is_dir():
            raise RuntimeError(f"{storage} is missing: start the open registry first")
        self.host = f"{self.address}:{_free_port(self.address)}"
        config = self.folder / "registry-tls.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {storage}}}}}\n"
            f"http: {{addr: '{self.host}', tls: {{certificate: {self.cert}, key: {self.key}}}}}\n"
        )
        infra.spawn(NAME, ["docker-registry", "serve", str(config)])
        trusted = ssl.create_default_context(cafile=str(self.ca))

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"https://{self.host}/v2/", context=trusted, timeout=2):
                    return True
            except OSError:  # URLError included
                return False

        infra.wait_until(answers, NAME, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        infra.stop(NAME)
