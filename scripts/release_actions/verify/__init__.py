"""Verify provenance: ours and other tools', each check reported on its own line.

Accepted, one JSON object per line (or one pretty-printed object per file):

- a Sigstore bundle (ours, slsa-github-generator v2.1, ``actions/attest``);
- a PEP 740 attestation (``<dist>.publish.attestation``), turned into a bundle;
- a DSSE envelope whose signature carries a Fulcio certificate
  (slsa-github-generator v1.2-v2.0): signature, certificate chain and claims
  are checked offline, the transparency log cannot be, so it never passes offline;
- a DSSE envelope signed by a key (``--key``), or unsigned (only with
  ``--allow-unsigned``, for rehearsals).

Checks: signature, transparency log, signer identity, claims, subjects. The
outcome is "verified" only when every check passed; a check that could not be
made leaves it "incomplete", a format or signer we cannot judge "unsupported",
and any failed check "failed". See docs/verify-compatibility.md.

Layout: ``documents`` reads and classifies, ``signatures`` checks signatures
and the log, ``identity`` reads certificates, ``claims`` compares the
Statement with the certificate and the user's expectations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from . import signatures
from .claims import Expectations, check_claims, check_identity, dist_identity, read_statement
from .documents import Kind, expand, kind_of, read_documents
from .identity import identity_of
from .report import (
    FAIL,
    NOT_CHECKED,
    NOT_DONE,
    PASS,
    UNSUPPORTED,
    WAIVED,
    Attestation,
    Check,
    Report,
)
from .text import untrusted

__all__ = [
    "FAIL", "NOT_CHECKED", "NOT_DONE", "PASS", "UNSUPPORTED", "WAIVED",
    "Artifact", "Attestation", "Check", "Expectations", "Report",
    "read_documents", "verify",
]  # fmt: skip


@dataclass(frozen=True)
class Artifact:
    label: str  # a file name, or the sha256:<hex> the user gave
    sha256: str
    by_digest: bool = False  # no file name to compare with a PEP 740 subject


def verify(artifacts: Sequence[Artifact], data: bytes, source: str, expect: Expectations) -> Report:
    expect.validate()
    documents = [
        (number, part, kind_of(part, f"{source}, line {number}"))
        for number, doc in read_documents(data, source)
        for part in expand(doc, f"{source}, line {number}")
    ]
    if expect.public_key_pem is not None:
        # An envelope with neither certificate nor key id is checked with the key the user gave.
        documents = [
            (n, d, Kind.KEY_DSSE if k is Kind.LOG_ONLY_DSSE else k) for n, d, k in documents
        ]
    if any(kind.keyless for _, _, kind in documents) and not expect.source_uri:
        raise UsageError(
            "A Sigstore signature only means something for an expected signer, and none was given.",
            "Pass --source-uri github.com/OWNER/REPO (the repository that must have built the artifacts).",
        )
    attestations = [_verify_document(number, doc, kind, expect) for number, doc, kind in documents]
    return Report(source, attestations, _check_subjects(artifacts, attestations))


def _verify_document(
    number: int, doc: dict[str, Any], kind: Kind, expect: Expectations
) -> Attestation:
    att = Attestation(number, kind.value)
    cert = None
    if kind in (Kind.BUNDLE, Kind.PEP740):
        signed = signatures.check_bundle(att, doc, kind, expect.online)
        payload, cert = (signed.payload, signed.cert) if signed else (None, None)
    elif kind is Kind.FULCIO_DSSE:
        signed = signatures.check_fulcio_envelope(att, doc)
        payload, cert = (signed.payload, signed.cert) if signed else (None, None)
    elif kind is Kind.LOG_ONLY_DSSE:
        signatures.check_log_only_envelope(att)
        payload = None
    elif kind is Kind.KEY_DSSE:
        payload = signatures.check_key_envelope(att, doc, expect.public_key_pem)
    else:
        payload = signatures.check_unsigned(att, doc, expect.allow_unsigned)
    if payload is None:
        return att
    statement = read_statement(att, payload)
    if statement is None:
        return att
    who = identity_of(cert) if cert is not None else None
    if who is not None:
        check_identity(att, who, expect)
    check_claims(att, statement, who, expect)
    return att


def _check_subjects(artifacts: Sequence[Artifact], attestations: Sequence[Attestation]) -> Check:
    trusted = [a for a in attestations if a.signed]
    if not trusted:
        # Digests of an unverified document prove nothing either way.
        return Check(
            "subjects", NOT_CHECKED, "not compared: no attestation has a verified signature"
        )
    missing, misnamed = [], []
    for artifact in artifacts:
        matches = [(a, s) for a in trusted for s in a.subjects if s.sha256 == artifact.sha256]
        if not matches:
            missing.append(artifact)
        elif not any(_name_ok(a, s.name, artifact) for a, s in matches):
            misnamed.append((artifact, matches[0][1].name))
    problems = []
    if missing:
        listed = ", ".join(f"{untrusted(a.label)} (sha256 {a.sha256[:12]}…)" for a in missing)
        problems.append(f"no verified subject matches the digest of {listed}")
    for artifact, name in misnamed:
        problems.append(
            f"{untrusted(artifact.label)} has the digest of the attested {untrusted(name)}, but a PEP 740 "
            "attestation vouches for that file name, not this one"
        )
    if problems:
        return Check("subjects", FAIL, "; ".join(problems))
    return Check("subjects", PASS, f"{len(artifacts)} artifact(s) match subjects by sha256")


def _name_ok(att: Attestation, subject_name: str, artifact: Artifact) -> bool:
    if not att.names_matter or artifact.by_digest:
        return True
    mine = dist_identity(artifact.label)
    return mine is not None and mine == dist_identity(subject_name)
