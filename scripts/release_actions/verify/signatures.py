"""Signature and transparency-log checks, one function per kind of document.

Each returns the signed payload (and the signing certificate, for Sigstore
signatures) only when the signature holds; otherwise it has said why on the
attestation's "signature" line and returns None.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import logging
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ..errors import UsageError
from ..provenance import PAYLOAD_TYPE
from .documents import Kind
from .report import FAIL, NOT_DONE, PASS, UNSUPPORTED, WAIVED, Attestation, Status
from .text import untrusted

# sigstore logs that its offline trust root will not be updated, and warns about the
# no-op identity policy: the identity is checked on its own line, from the certificate.
logging.getLogger("sigstore").setLevel(logging.ERROR)

# Rekor entry kinds the pinned sigstore can check offline.
_VERIFIABLE_ENTRY_KINDS = {"dsse", "hashedrekord"}
ONLINE_HINT = "only an online Rekor lookup can decide (slsa-verifier makes one)"


@dataclass(frozen=True)
class Signed:
    payload: bytes
    cert: x509.Certificate | None


def _payload_type_ok(att: Attestation, payload_type: object) -> bool:
    """Only in-toto Statements are provenance: any other payload type fails, on every path."""
    if payload_type == PAYLOAD_TYPE:
        return True
    att.add("signature", FAIL, f"payload type is '{untrusted(payload_type)}', not {PAYLOAD_TYPE}")
    return False


# -- Sigstore bundles and PEP 740 attestations --------------------------------------------------


def check_bundle(att: Attestation, doc: dict[str, Any], kind: Kind, online: bool) -> Signed | None:
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle
    from sigstore.verify import policy

    entry_kind = _entry_kind(doc, kind)
    if entry_kind and entry_kind not in _VERIFIABLE_ENTRY_KINDS:
        att.add(
            "signature",
            UNSUPPORTED,
            f"unsupported: its Rekor entry is of kind '{untrusted(entry_kind)}' (written by "
            "slsa-github-generator's delegator, Maven, Gradle and container-based builders), "
            "which the sigstore library cannot verify",
        )
        return None
    try:
        if kind is Kind.PEP740:
            from pypi_attestations import Attestation as Pep740

            bundle = Pep740.model_validate(doc).to_bundle()
        else:
            bundle = Bundle.from_json(json.dumps(doc))
    except Exception as exc:  # the libraries raise many types for malformed input
        att.add("signature", FAIL, f"not a valid {kind.value}: {_short(exc)}")
        return None
    envelope = getattr(bundle, "_dsse_envelope", None)
    if envelope is not None and not _payload_type_ok(att, envelope._inner.payload_type):
        return None
    verifier = _verifier("production", online)
    try:
        payload_type, payload = verifier.verify_dsse(bundle, policy.UnsafeNoOp())
    except SigstoreError as exc:
        att.add("signature", *_why_not(bundle, exc))
        return None
    except Exception as exc:  # a malformed certificate or entry inside a well-formed bundle
        att.add("signature", FAIL, f"{kind.value}: {_short(exc)}")
        return None
    if not _payload_type_ok(att, payload_type):
        return None
    root = "Sigstore's public-good trust root" + (" (refreshed online)" if online else "")
    att.add("signature", PASS, f"{kind.value}: DSSE signature under a Fulcio certificate ({root})")
    index = getattr(bundle.log_entry._inner, "log_index", "?")
    att.add("transparency log", PASS, f"Rekor entry {index}: inclusion and signing time verified")
    return Signed(payload, bundle.signing_certificate)


def _entry_kind(doc: dict[str, Any], kind: Kind) -> str:
    material = doc.get("verification_material" if kind is Kind.PEP740 else "verificationMaterial")
    entries = (
        material.get("transparency_entries" if kind is Kind.PEP740 else "tlogEntries")
        if isinstance(material, dict)
        else None
    )
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        return ""
    version = entries[0].get("kindVersion")
    found = version.get("kind") if isinstance(version, dict) else None
    return found if isinstance(found, str) else ""


def _why_not(bundle: Any, exc: Exception) -> tuple[Status, str]:
    """A failure against the public-good root, told apart from a signature by another instance."""
    from sigstore.verify import policy

    try:
        _verifier("staging", False).verify_dsse(bundle, policy.UnsafeNoOp())
    except Exception:  # SigstoreError, or anything a foreign bundle trips in the library
        return FAIL, (
            f"does not verify against Sigstore's public-good trust root: {_short(exc)} "
            f"(certificate issued by '{untrusted(_issuer(bundle))}', Rekor log {_log_id(bundle)}; "
            "a private Sigstore instance needs its own trust root)"
        )
    return (
        UNSUPPORTED,
        "unsupported: signed by Sigstore's staging instance (sigstage.dev), a test service; "
        "this verifier uses the public-good instance's trust root (sigstore.dev)",
    )


def _issuer(bundle: Any) -> str:
    try:
        return str(bundle.signing_certificate.issuer.rfc4514_string())
    except Exception:
        return "unknown"


def _log_id(bundle: Any) -> str:
    try:
        return bytes(bundle.log_entry._inner.log_id.key_id).hex()[:16] + "…"
    except Exception:
        return "unknown"


# -- bare DSSE envelopes ------------------------------------------------------------------------


def check_fulcio_envelope(att: Attestation, doc: dict[str, Any]) -> Signed | None:
    """slsa-github-generator v1.2-v2.0: the certificate is in the envelope, its log entry is not."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store
    from cryptography.x509.verification import VerificationError as ChainError

    if not _payload_type_ok(att, doc["payloadType"]):
        return None
    signature = doc["signatures"][0]
    try:
        envelope = _envelope(doc)
        cert = x509.load_pem_x509_certificate(signature["cert"].encode())
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("the certificate's key is not ECDSA")
        sig = base64.b64decode(signature.get("sig", ""), validate=True)
        key.verify(sig, envelope.pae(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        att.add("signature", FAIL, "the DSSE signature does not match the payload")
        return None
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        att.add("signature", FAIL, f"malformed envelope or certificate: {_short(exc)}")
        return None
    fulcio = fulcio_roots()
    ca_policy = ExtensionPolicy.permit_all().require_present(
        x509.BasicConstraints, Criticality.AGNOSTIC, None
    )
    chain = (
        PolicyBuilder()
        .store(Store(fulcio))
        .time(cert.not_valid_before_utc)
        .extension_policies(ca_policy=ca_policy, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    try:
        chain.verify(cert, [])
    except ChainError as exc:
        att.add(
            "signature", FAIL, f"the certificate does not chain to Sigstore's Fulcio: {_short(exc)}"
        )
        return None
    att.add(
        "signature", PASS, "DSSE signature under a certificate that chains to Sigstore's Fulcio"
    )
    att.add(
        "transparency log",
        NOT_DONE,
        "no log entry is embedded, so nothing proves it was signed while the certificate "
        f"(valid {_minutes(cert)} minutes, until {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC) "
        f"was valid; {ONLINE_HINT}",
    )
    return Signed(envelope.payload, cert)


@functools.cache
def fulcio_roots() -> list[x509.Certificate]:
    """Fulcio's certificates from the trust root shipped in the sigstore package."""
    from sigstore.models import ClientTrustConfig

    return list(ClientTrustConfig.production(offline=True).trusted_root.get_fulcio_certs())


@functools.cache
def _verifier(instance: str, online: bool) -> Any:
    """Loading a trust root is most of a verification's cost: one per process."""
    from sigstore.verify import Verifier

    return (
        Verifier.staging(offline=not online)
        if instance == "staging"
        else Verifier.production(offline=not online)
    )


def check_log_only_envelope(att: Attestation) -> None:
    att.add(
        "signature",
        NOT_DONE,
        "the envelope carries no certificate (slsa-github-generator before v1.2 left it in "
        f"Rekor only); {ONLINE_HINT}",
    )


def check_key_envelope(
    att: Attestation, doc: dict[str, Any], public_key_pem: bytes | None
) -> bytes | None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.exceptions import VerificationError as SslibVerificationError
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    if public_key_pem is None:
        att.add("signature", FAIL, "signed by a key, and no --key was given to check it with")
        return None
    try:
        key = SSlibKey.from_crypto(load_pem_public_key(public_key_pem))
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"--key is not a PEM public key ({_short(exc)}).",
            "Pass the public half of the signing key.",
        ) from None
    if not _payload_type_ok(att, doc["payloadType"]):
        return None
    # Signatures are matched to keys by key id; one written without an id is tried with this key.
    signatures = [{**sig, "keyid": sig.get("keyid") or key.keyid} for sig in doc["signatures"]]
    try:
        envelope = _envelope({**doc, "signatures": signatures})
        envelope.verify([key], 1)
    except SslibVerificationError:
        att.add("signature", FAIL, f"not signed by the key given with --key ({key.keyid[:16]})")
        return None
    except (KeyError, ValueError, TypeError, binascii.Error) as exc:
        att.add("signature", FAIL, f"malformed DSSE envelope: {_short(exc)}")
        return None
    # Key signatures have no transparency log: nothing is left undone.
    att.add("signature", PASS, f"DSSE signature by key {key.keyid[:16]} ({key.scheme})")
    return bytes(envelope.payload)


def check_unsigned(att: Attestation, doc: dict[str, Any], allow_unsigned: bool) -> bytes | None:
    if not _payload_type_ok(att, doc["payloadType"]):
        return None
    if not allow_unsigned:
        att.add("signature", FAIL, "the provenance is not signed (a rehearsal's output)")
        return None
    try:
        payload = base64.b64decode(doc["payload"], validate=True)
    except (binascii.Error, ValueError):
        att.add("signature", FAIL, "the payload is not base64")
        return None
    att.add("signature", WAIVED, "unsigned (a rehearsal; accepted by --allow-unsigned)")
    return payload


def _envelope(doc: dict[str, Any]) -> Any:
    from securesystemslib.dsse import Envelope

    try:
        # from_dict consumes the signature objects it reads: give it a copy.
        return Envelope.from_dict(copy.deepcopy(doc))
    except binascii.Error as exc:
        raise ValueError(f"the payload or a signature is not base64 ({exc})") from None


def _minutes(cert: x509.Certificate) -> int:
    return round((cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds() / 60)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return untrusted(text, 200)
