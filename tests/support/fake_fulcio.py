"""A fake Fulcio: a CA of our own that issues short-lived signing certificates carrying
Fulcio's GitHub extensions (v2 DER UTF8Strings, or the raw v1 strings), and DSSE envelopes
signed with them. Tests put its root in place of Sigstore's to craft what no real Fulcio
would sign: a payload that lies about its certificate."""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PAYLOAD_TYPE = "application/vnd.in-toto+json"
ISSUER = "https://token.actions.githubusercontent.com"
V2 = {
    "issuer": "1.3.6.1.4.1.57264.1.8",
    "signer": "1.3.6.1.4.1.57264.1.9",
    "runner": "1.3.6.1.4.1.57264.1.11",
    "source": "1.3.6.1.4.1.57264.1.12",
    "sha": "1.3.6.1.4.1.57264.1.13",
    "ref": "1.3.6.1.4.1.57264.1.14",
    "config": "1.3.6.1.4.1.57264.1.18",
}
V1 = {"issuer": "1.3.6.1.4.1.57264.1.1", "sha": "1.3.6.1.4.1.57264.1.3",
      "repository": "1.3.6.1.4.1.57264.1.5", "ref": "1.3.6.1.4.1.57264.1.6"}  # fmt: skip


def _utf8string(text: str) -> bytes:
    data = text.encode()
    if len(data) < 0x80:
        return bytes([0x0C, len(data)]) + data
    size = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
    return bytes([0x0C, 0x80 | len(size)]) + size + data


@dataclass
class FakeFulcio:
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    root: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fake-fulcio.test")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(self.key, hashes.SHA384())
        )

    def issue(
        self, signer: str, extensions: dict[str, str], *, v1: bool = False
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A 10-minute certificate for the workflow ``signer`` (its SAN) with these claims."""
        leaf = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.root.subject)
            .public_key(leaf.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(minutes=10))
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(signer)]), critical=True
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
        )
        oids = V1 if v1 else V2
        for name, value in {"issuer": ISSUER, **extensions}.items():
            raw = value.encode() if v1 else _utf8string(value)
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(oids[name]), raw), critical=False
            )
        return builder.sign(self.key, hashes.SHA256()), leaf

    def envelope(self, statement: dict[str, Any], signer: str, extensions: dict[str, str], *,
                 v1: bool = False, payload_type: str = PAYLOAD_TYPE) -> str:  # fmt: skip
        """One line of multiple.intoto.jsonl: a DSSE envelope with the certificate inside."""
        cert, key = self.issue(signer, extensions, v1=v1)
        payload = json.dumps(statement).encode()
        kind = payload_type.encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
        signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "payloadType": payload_type,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode(),
                            "cert": cert.public_bytes(serialization.Encoding.PEM).decode()}],
        })  # fmt: skip
