"""Verify provenance offline: ours and other tools', each check reported on its own line.

Accepted, one JSON object per line (or one pretty-printed object per file):

- a Sigstore bundle (ours, slsa-github-generator v2.1, ``actions/attest``);
- a PEP 740 attestation (``<dist>.publish.attestation``), turned into a bundle;
- a DSSE envelope whose signature carries a Fulcio certificate
  (slsa-github-generator v1.x-v2.0): signature and certificate chain are
  checked offline, the transparency log cannot be and is reported as not done;
- a DSSE envelope signed by a key (``--key``), or unsigned (only with
  ``--allow-unsigned``, for dry runs).

Checks: signature, transparency log, signer identity, claims, subjects. A
failed check fails the verification; a check that cannot be done offline is
"not done", never "pass".
"""

from __future__ import annotations

import base64
import binascii
import glob
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError, VerificationError
from .hashing import is_sha256_hex, sha256_file
from .provenance import PAYLOAD_TYPE, RUNNER_BUILDER_PREFIX, STATEMENT_TYPES, Claims, claims_of

# sigstore logs that its offline trust root will not be updated: that is the point here.
logging.getLogger("sigstore").setLevel(logging.ERROR)

PASS, FAIL, NOT_DONE = "pass", "fail", "not done"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# Publishers whose certificates carry the source repository (Fulcio's v2 extensions).
KNOWN_ISSUERS = {GITHUB_ISSUER: "GitHub Actions", "https://gitlab.com": "GitLab CI/CD"}

# Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
_OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OID_ISSUER = "1.3.6.1.4.1.57264.1.8"
_OID_BUILD_SIGNER_URI = "1.3.6.1.4.1.57264.1.9"
_OID_RUNNER_ENVIRONMENT = "1.3.6.1.4.1.57264.1.11"
_OID_SOURCE_URI = "1.3.6.1.4.1.57264.1.12"
_OID_SOURCE_REF = "1.3.6.1.4.1.57264.1.14"
_OID_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"


@dataclass(frozen=True)
class Artifact:
    label: str  # a file name, or the sha256:<hex> the user gave
    sha256: str


@dataclass(frozen=True)
class Expectations:
    source_uri: str = ""  # github.com/OWNER/REPO
    tag: str = ""
    branch: str = ""
    builder_id: str = ""
    workflow: str = ""
    public_key_pem: bytes | None = None
    allow_unsigned: bool = False


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


@dataclass
class Attestation:
    line: int
    kind: str
    checks: list[Check] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)  # sha256 of every subject

    @property
    def signed(self) -> bool:
        """The signature holds (or was allowed to be absent): its subjects can be trusted."""
        return any(c.name == "signature" and c.status != FAIL for c in self.checks)


@dataclass
class Report:
    source: str
    attestations: list[Attestation]
    subjects: Check

    @property
    def checks(self) -> list[Check]:
        return [c for a in self.attestations for c in a.checks] + [self.subjects]

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "provenance": self.source,
            "verified": self.ok,
            "attestations": [
                {"line": a.line, "kind": a.kind, "checks": [c.__dict__ for c in a.checks]}
                for a in self.attestations
            ],
            "subjects": self.subjects.__dict__,
        }


# -- inputs ---------------------------------------------------------------------------------------


def artifacts_from_args(values: Sequence[str]) -> list[Artifact]:
    """Files (or globs), or digests written ``sha256:<64 hex>`` for files the user does not hold."""
    artifacts = []
    expanded: list[str] = []
    for value in values:
        if glob.has_magic(value) and not value.startswith("sha256:"):
            matches = sorted(m for m in glob.glob(value) if Path(m).is_file())
            if not matches:
                raise UsageError(
                    f"'{value}' matches no files.", "Pass the files the provenance describes."
                )
            expanded += matches
        else:
            expanded.append(value)
    for value in expanded:
        if value.startswith("sha256:"):
            digest = value[7:].lower()
            if not is_sha256_hex(digest):
                raise UsageError(
                    f"'{value}' is not a sha256 digest.",
                    "Write a digest as 'sha256:' and 64 hex digits.",
                )
            artifacts.append(Artifact(value, digest))
            continue
        path = Path(value)
        if not path.is_file():
            raise UsageError(
                f"The artifact '{value}' is not a file.",
                "Pass the downloaded file, or its digest as 'sha256:<64 hex>'.",
            )
        artifacts.append(Artifact(path.name, sha256_file(path)))
    if not artifacts:
        raise UsageError(
            "No artifact to verify.",
            "Pass the files (or sha256:<hex> digests) the provenance describes.",
        )
    return artifacts


def read_documents(data: bytes, source: str) -> list[tuple[int, dict[str, Any]]]:
    """One JSON object per line, or a single (pretty-printed) object: (line number, object)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError(f"{source} is not UTF-8 text.", _FIX_FILE) from None
    if not text.strip():
        raise VerificationError(f"{source} is empty.", _FIX_FILE)
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return [(1, whole)]
    documents = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise VerificationError(
                f"{source}, line {number}: not JSON ({exc.msg} at column {exc.colno}); the file may be truncated.",
                _FIX_FILE,
            ) from None
        if not isinstance(value, dict):
            raise VerificationError(
                f"{source}, line {number}: a JSON {type(value).__name__}, not an object.", _FIX_FILE
            )
        documents.append((number, value))
    return documents


_FIX_FILE = "Download the provenance again from the release page; it must be the file the attest step wrote."


def kind_of(doc: Mapping[str, Any]) -> str:
    media = doc.get("mediaType")
    if isinstance(media, str) and media.startswith("application/vnd.dev.sigstore.bundle"):
        return "Sigstore bundle"
    if "envelope" in doc and "verification_material" in doc:
        return "PEP 740 attestation"
    if {"payload", "payloadType", "signatures"} <= doc.keys() and isinstance(
        doc["signatures"], list
    ):
        signatures = doc["signatures"]
        if not signatures:
            return "unsigned DSSE envelope"
        if isinstance(signatures[0], dict) and signatures[0].get("cert"):
            return "DSSE envelope with a Fulcio certificate"
        return "DSSE envelope signed by a key"
    return ""


# -- the checks -------------------------------------------------------------------------------------


def verify(artifacts: Sequence[Artifact], data: bytes, source: str, expect: Expectations) -> Report:
    documents = read_documents(data, source)
    attestations = []
    for number, doc in documents:
        kind = kind_of(doc)
        if not kind:
            raise VerificationError(
                f"{source}, line {number}: not a Sigstore bundle, DSSE envelope or PEP 740 attestation "
                f"(keys: {', '.join(sorted(doc)[:6])}).",
                _FIX_FILE,
            )
        if (
            kind
            in ("Sigstore bundle", "PEP 740 attestation", "DSSE envelope with a Fulcio certificate")
            and not expect.source_uri
        ):
            raise UsageError(
                "A Sigstore signature only means something for an expected signer, and none was given.",
                "Pass --source-uri github.com/OWNER/REPO (the repository that must have built the artifacts).",
            )
        attestations.append(_verify_document(number, kind, doc, expect))
    return Report(source, attestations, _check_subjects(artifacts, attestations))


def _verify_document(
    number: int, kind: str, doc: dict[str, Any], expect: Expectations
) -> Attestation:
    att = Attestation(number, kind)
    cert = None
    if kind in ("Sigstore bundle", "PEP 740 attestation"):
        payload, cert = _check_bundle(att, doc, kind)
    elif kind == "DSSE envelope with a Fulcio certificate":
        payload, cert = _check_fulcio_envelope(att, doc)
    elif kind == "DSSE envelope signed by a key":
        payload = _check_key_envelope(att, doc, expect)
    else:
        payload = _decode_payload(doc)
        if expect.allow_unsigned:
            att.checks.append(
                Check("signature", NOT_DONE, "unsigned (a dry run; accepted by --allow-unsigned)")
            )
        else:
            att.checks.append(
                Check("signature", FAIL, "the provenance is not signed (a dry run's output)")
            )
    if payload is None:
        return att
    statement = _statement(att, payload)
    if statement is None:
        return att
    if cert is not None:
        _check_identity(att, cert, expect)
    _check_claims(att, statement, cert, expect)
    return att


def _decode_payload(doc: Mapping[str, Any]) -> bytes | None:
    try:
        return base64.b64decode(str(doc.get("payload", "")), validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_bundle(att: Attestation, doc: dict[str, Any], kind: str) -> tuple[bytes | None, Any]:
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle
    from sigstore.verify import Verifier

    try:
        if kind == "PEP 740 attestation":
            from pypi_attestations import Attestation as Pep740

            bundle = Pep740.model_validate(doc).to_bundle()
        else:
            bundle = Bundle.from_json(json.dumps(doc))
    except Exception as exc:
        att.checks.append(Check("signature", FAIL, f"not a valid {kind}: {_short(exc)}"))
        return None, None
    try:
        payload_type, payload = Verifier.production(offline=True).verify_dsse(
            bundle, _IdentityCheckedSeparately()
        )
    except SigstoreError as exc:
        att.checks.append(Check("signature", FAIL, f"{kind}: {_short(exc)}"))
        return None, None
    if payload_type != PAYLOAD_TYPE:
        att.checks.append(
            Check("signature", FAIL, f"payload type is '{payload_type}', not in-toto")
        )
        return None, None
    att.checks.append(
        Check(
            "signature",
            PASS,
            f"{kind}: DSSE signature under a certificate issued by Sigstore's Fulcio",
        )
    )
    entry = bundle.log_entry._inner
    index = getattr(entry, "log_index", "?")
    att.checks.append(
        Check("transparency log", PASS, f"Rekor entry {index}: inclusion verified offline")
    )
    return payload, bundle.signing_certificate


def _check_fulcio_envelope(att: Attestation, doc: dict[str, Any]) -> tuple[bytes | None, Any]:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store
    from cryptography.x509.verification import VerificationError as ChainError
    from sigstore.models import ClientTrustConfig

    signature = doc["signatures"][0]
    try:
        cert = x509.load_pem_x509_certificate(str(signature["cert"]).encode())
        payload = base64.b64decode(str(doc["payload"]), validate=True)
        sig = base64.b64decode(str(signature.get("sig", "")), validate=True)
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("the certificate's key is not ECDSA")
        key.verify(sig, _pae(str(doc["payloadType"]), payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        att.checks.append(Check("signature", FAIL, "the DSSE signature does not match the payload"))
        return None, None
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        att.checks.append(
            Check("signature", FAIL, f"malformed envelope or certificate: {_short(exc)}")
        )
        return None, None
    fulcio = ClientTrustConfig.production(offline=True).trusted_root.get_fulcio_certs()
    ca_policy = ExtensionPolicy.permit_all().require_present(
        x509.BasicConstraints, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(fulcio))
        .time(cert.not_valid_before_utc)
        .extension_policies(ca_policy=ca_policy, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    try:
        verifier.verify(cert, [])
    except ChainError as exc:
        att.checks.append(
            Check("signature", FAIL, f"the certificate does not chain to Sigstore's Fulcio: {exc}")
        )
        return None, None
    att.checks.append(
        Check(
            "signature", PASS, "DSSE signature under a certificate that chains to Sigstore's Fulcio"
        )
    )
    att.checks.append(
        Check(
            "transparency log",
            NOT_DONE,
            "no log entry is embedded; proving when it was signed needs an online Rekor lookup",
        )
    )
    return payload, cert


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _check_key_envelope(
    att: Attestation, doc: dict[str, Any], expect: Expectations
) -> bytes | None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError as SslibVerificationError
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    if expect.public_key_pem is None:
        att.checks.append(
            Check("signature", FAIL, "signed by a key, and no --key was given to check it with")
        )
        return None
    try:
        key = SSlibKey.from_crypto(load_pem_public_key(expect.public_key_pem))
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"--key is not a PEM public key ({_short(exc)}).",
            "Pass the public half of the signing key.",
        ) from None
    try:
        envelope = Envelope.from_dict(doc)
        envelope.verify([key], 1)
    except SslibVerificationError:
        att.checks.append(
            Check("signature", FAIL, f"not signed by the key given with --key ({key.keyid[:16]})")
        )
        return None
    except (KeyError, ValueError, TypeError, binascii.Error) as exc:
        att.checks.append(Check("signature", FAIL, f"malformed DSSE envelope: {_short(exc)}"))
        return None
    # Key signatures have no transparency log: nothing is left undone.
    att.checks.append(
        Check("signature", PASS, f"DSSE signature by key {key.keyid[:16]} ({key.scheme})")
    )
    return envelope.payload


def _statement(att: Attestation, payload: bytes) -> dict[str, Any] | None:
    try:
        statement = json.loads(payload)
    except ValueError:
        statement = None
    problem = ""
    if not isinstance(statement, dict) or statement.get("_type") not in STATEMENT_TYPES:
        problem = "the signed payload is not an in-toto Statement"
    elif not isinstance(statement.get("subject"), list) or not statement["subject"]:
        problem = "the Statement has no subjects"
    else:
        for subject in statement["subject"]:
            digest = (
                subject.get("digest", {}).get("sha256", "") if isinstance(subject, dict) else ""
            )
            if not isinstance(digest, str) or not is_sha256_hex(digest.lower()):
                problem = "a subject has no sha256 digest"
                break
            att.digests.add(digest.lower())
    if problem or not isinstance(statement, dict):
        att.checks.append(Check("claims", FAIL, problem))
        return None
    return statement


def _der_utf8(value: bytes) -> str:
    """The text of a DER UTF8String (Fulcio's v2 extensions are DER-encoded)."""
    if len(value) < 2 or value[0] != 0x0C:
        return value.decode("utf-8", errors="replace")
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    return value[offset : offset + length].decode("utf-8", errors="replace")


def _extension(cert: Any, oid: str) -> str:
    for ext in cert.extensions:
        if ext.oid.dotted_string == oid:
            raw = getattr(ext.value, "value", b"")
            return (
                raw.decode("utf-8", errors="replace") if oid == _OID_ISSUER_V1 else _der_utf8(raw)
            )
    return ""


def _san(cert: Any) -> str:
    from cryptography import x509

    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ""
    values = [str(v) for v in names.get_values_for_type(x509.UniformResourceIdentifier)]
    values += [str(v) for v in names.get_values_for_type(x509.RFC822Name)]
    return values[0] if values else ""


def _uri_path(uri: str) -> str:
    return uri.split("://", 1)[-1].removesuffix(".git").rstrip("/").lower()


def _workflow_matches(config_uri: str, wanted: str) -> bool:
    path = config_uri.split("@", 1)[0]
    wanted = wanted.strip("/")
    return path.endswith("/" + wanted) or (
        path.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1] and "/" not in wanted
    )


def _check_identity(att: Attestation, cert: Any, expect: Expectations) -> None:
    issuer = _extension(cert, _OID_ISSUER) or _extension(cert, _OID_ISSUER_V1)
    source = _extension(cert, _OID_SOURCE_URI)
    config = _extension(cert, _OID_BUILD_CONFIG_URI)
    signer = _extension(cert, _OID_BUILD_SIGNER_URI) or _san(cert)
    if issuer not in KNOWN_ISSUERS:
        att.checks.append(
            Check(
                "signer identity",
                FAIL,
                f"unsupported publisher: certificate issued for '{issuer or 'unknown'}' "
                f"(supported: {', '.join(KNOWN_ISSUERS.values())})",
            )
        )
        return
    problems = []
    if _uri_path(source) != _uri_path(expect.source_uri):
        problems.append(
            f"signed for source {_uri_path(source) or 'unknown'}, expected {_uri_path(expect.source_uri)}"
        )
    if expect.workflow and not _workflow_matches(config, expect.workflow):
        problems.append(f"run by workflow {config or 'unknown'}, expected {expect.workflow}")
    detail = f"{KNOWN_ISSUERS[issuer]}; source {_uri_path(source)}; workflow {config or 'unknown'}; signer {signer}"
    att.checks.append(
        Check("signer identity", FAIL if problems else PASS, "; ".join(problems) or detail)
    )


def _builder_matches(actual: str, wanted: str) -> bool:
    return actual == wanted or ("@" not in wanted and actual.split("@", 1)[0] == wanted)


def _check_claims(
    att: Attestation, statement: dict[str, Any], cert: Any, expect: Expectations
) -> None:
    claims = claims_of(statement)
    problems = []
    if cert is not None:
        cert_source = _uri_path(_extension(cert, _OID_SOURCE_URI))
        cert_ref = _extension(cert, _OID_SOURCE_REF)
        signer = _extension(cert, _OID_BUILD_SIGNER_URI) or _san(cert)
        if claims is None:
            # Not provenance (e.g. PyPI's publish predicate): the certificate says where it came from.
            claims = Claims(source=cert_source, ref=cert_ref, builder_id=signer, workflow="")
        else:
            # The predicate is only as good as its signer: it must agree with the certificate.
            if claims.source and cert_source and _uri_path(claims.source) != cert_source:
                problems.append(
                    f"the provenance claims source {claims.source} but was signed for {cert_source}"
                )
            if claims.builder_id.startswith(RUNNER_BUILDER_PREFIX):
                runner = _extension(cert, _OID_RUNNER_ENVIRONMENT)
                if claims.builder_id.removeprefix(RUNNER_BUILDER_PREFIX) != runner:
                    problems.append(
                        f"builder {claims.builder_id} but the signing runner was '{runner}'"
                    )
            elif signer and claims.builder_id.split("@", 1)[0] != signer.split("@", 1)[0]:
                problems.append(f"builder {claims.builder_id} is not the signing workflow {signer}")
    if claims is None:
        claims = Claims("", "", "", "")
    if expect.source_uri and _uri_path(claims.source) != _uri_path(expect.source_uri):
        problems.append(
            f"source is {_uri_path(claims.source) or 'not recorded'}, expected {_uri_path(expect.source_uri)}"
        )
    if expect.tag:
        if not claims.ref.startswith("refs/tags/"):
            problems.append(
                f"not built from a tag (ref {claims.ref or 'not recorded'}), expected tag {expect.tag}"
            )
        elif claims.ref.removeprefix("refs/tags/") != expect.tag:
            problems.append(
                f"built from tag {claims.ref.removeprefix('refs/tags/')}, expected tag {expect.tag}"
            )
    if expect.branch and claims.ref != f"refs/heads/{expect.branch}":
        problems.append(
            f"built from {claims.ref or 'an unrecorded ref'}, expected branch {expect.branch}"
        )
    if expect.builder_id and not _builder_matches(claims.builder_id, expect.builder_id):
        problems.append(
            f"builder is {claims.builder_id or 'not recorded'}, expected {expect.builder_id}"
        )
    detail = (
        f"{statement.get('predicateType')}: source {claims.source or '-'}, ref {claims.ref or '-'}, "
        f"builder {claims.builder_id or '-'}"
    )
    att.checks.append(Check("claims", FAIL if problems else PASS, "; ".join(problems) or detail))


def _check_subjects(artifacts: Sequence[Artifact], attestations: Sequence[Attestation]) -> Check:
    trusted = set().union(*(a.digests for a in attestations if a.signed))
    missing = [a for a in artifacts if a.sha256 not in trusted]
    if missing:
        listed = ", ".join(f"{a.label} (sha256 {a.sha256[:12]}…)" for a in missing)
        return Check("subjects", FAIL, f"no verified subject matches the digest of {listed}")
    return Check("subjects", PASS, f"{len(artifacts)} artifact(s) match subjects by sha256")


class _IdentityCheckedSeparately:
    """A Sigstore policy that accepts any identity: _check_identity reports it on its own line."""

    def verify(self, cert: Any) -> None:
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
