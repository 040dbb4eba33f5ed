"""Evidence that the index's files are the ones built: digests, PEP 740, provenance, SHA256SUMS.

Every file is downloaded from the index through sha256 and must match the
index's own digest; that digest must be covered by verified evidence: the
file's PEP 740 attestations (from the Integrity API, signed by the
repository's publishing workflow), else the release's provenance (verified
with the verify command's code) or its ``SHA256SUMS``. A read that fails is
described (``unreachable``), never raised.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import NetworkError, ReleaseError, SubjectsError, VerificationError
from ..hashing import parse_subjects
from ..index_api import INTEGRITY_ACCEPT, IndexFile, describe
from ..webclient import WebClient
from .model import (
    BROKEN,
    OK,
    PROVENANCE_NAME,
    SKIPPED,
    SUMS_NAMES,
    UNREACHABLE,
    Promise,
    Release,
    VersionReport,
)

INDEX_NO_DIGEST = "the index gives no sha256 for '{name}'"
INDEX_NO_DIGEST_FIX = "Ask the index's operators; without a digest nobody can check the file."
DOWNLOAD_FAILED = "'{name}' could not be downloaded from the index: {cause}"
DOWNLOAD_FAILED_FIX = "Check that {url} is reachable from here, then run the audit again."
PEP740_FAILED = "the PEP 740 provenance of '{name}' does not verify: {cause}"
PEP740_FIX = "Its attestations do not show that {workflow} of {repo} published it: check the project's trusted publishers on the index, and yank the version if it was published from elsewhere (pass --workflow when the release workflow was renamed)."
PEP740_UNREACHABLE = "the PEP 740 provenance of '{name}' could not be read: {cause}"
PEP740_UNREACHABLE_FIX = (
    "Check that {url} (the index's Integrity API) is reachable from here, then run the audit again."
)
EVIDENCE_UNREACHABLE = "{source} of release '{tag}' could not be read: {cause}"
EVIDENCE_UNREACHABLE_FIX = (
    "Check that the token can read the release assets ({repo}), then run the audit again."
)
NO_RELEASES_READ = "release pages not read (--skip release) and no PEP 740 attestations"
INDEX_DIGEST_MISMATCH = "the index serves '{name}' with sha256 {got}, not the {want} it lists"
INDEX_DIGEST_MISMATCH_FIX = "Do not install this file; report it to the index's operators."
NO_EVIDENCE = "release '{tag}' has neither {prov} nor SHA256SUMS"
NO_EVIDENCE_FIX = "Attach the provenance the attest action made (or the SHA256SUMS of the hash action) to release '{tag}'."
EVIDENCE_UNREADABLE = "{source} of release '{tag}' could not be used: {cause}"
SUMS_FIX = "Replace it with the SHA256SUMS the hash action wrote for this release, unchanged."
NOT_A_SUBJECT = (
    "'{name}' on the index (sha256 {digest}) is not a subject of {source} of release '{tag}'"
)
NOT_A_SUBJECT_FIX = "The file on the index was replaced after it was built, or built elsewhere: yank version {v} and publish a new one from the release workflow."


ProvenanceVerifier = Callable[[bytes, str, str], set[str]]
"""(multiple.intoto.jsonl bytes, OWNER/REPO, tag) -> the sha256 digests of its verified subjects."""

AttestationVerifier = Callable[[bytes, IndexFile, str, str, str], None]
"""(PEP 740 attestations, one per line; the file; OWNER/REPO; tag; workflow) -> None, or raises."""


def verify_provenance(data: bytes, repo: str, tag: str) -> set[str]:
    """Verify a release's provenance with the verify command's code; its subjects' digests.

    It must have been built from ``repo`` at exactly ``tag``; any failed check
    (signature, identity, claims) makes the whole file unusable as evidence.
    """
    from ..verify import Expectations, verify

    report = verify(
        [], data, PROVENANCE_NAME, Expectations(source_uri=f"github.com/{repo}", tag=tag)
    )
    # With no artifacts given, only the subjects check is left undone: anything else
    # undecided (an unchecked log entry, an unsupported format) is no evidence.
    undecided = report.findings(leave_out=("subjects",))
    if undecided:
        raise VerificationError(
            f"{PROVENANCE_NAME} of {repo}@{tag} is not verified: {undecided}",
            f"Check it with 'release-actions verify --provenance {PROVENANCE_NAME} --source-uri github.com/{repo} "
            f"--source-tag {tag} FILES…'; re-attest the release if its provenance is wrong.",
        )
    return report.verified_digests()


def verify_attestations(data: bytes, f: IndexFile, repo: str, tag: str, workflow: str) -> None:
    """Verify a file's PEP 740 attestations with the verify command's code.

    Each must be signed by ``repo``'s ``workflow`` (when known) running for
    ``tag`` (when known), and name the file and the index's sha256 of it as subject.
    """
    from ..verify import Artifact, Expectations, verify

    fix = PEP740_FIX.format(repo=repo, workflow=workflow or "the publishing workflow")
    try:
        report = verify(
            [Artifact(f.filename, f.sha256)],
            data,
            "the Integrity API's answer",
            Expectations(source_uri=f"github.com/{repo}", tag=tag, workflow=workflow),
        )
    except ReleaseError as exc:  # not attestations verify can read
        raise VerificationError(exc.cause.rstrip("."), fix) from None
    undecided = report.findings()
    if undecided:
        raise VerificationError(undecided, fix)


@dataclass(frozen=True)
class Provenance:
    """A file's PEP 740 provenance from the Integrity API: its attestations, or why none."""

    filename: str
    data: bytes = b""  # the attestations, one JSON object per line (what verify reads)
    workflow: str = ""  # the publisher's workflow, as the index recorded it
    unreachable: str = ""


def read_pep740(filename: str, url: str, web: WebClient) -> Provenance:
    """GET a file's provenance from the Integrity API; a failure is described, never raised."""
    try:
        response = web.get(url, headers={"Accept": INTEGRITY_ACCEPT})
    except NetworkError as exc:
        return Provenance(filename, unreachable=exc.cause.rstrip("."))
    if response.status != 200:
        return Provenance(filename, unreachable=describe(response))
    try:
        document = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return Provenance(filename, unreachable=f"{describe(response)} is not JSON")
    found = document.get("attestation_bundles") if isinstance(document, dict) else None
    bundles = [b for b in found if isinstance(b, dict)] if isinstance(found, list) else []
    attestations = [
        a for b in bundles if isinstance(b.get("attestations"), list) for a in b["attestations"]
    ]
    if not attestations or not all(isinstance(a, dict) for a in attestations):
        return Provenance(
            filename,
            unreachable=f"{describe(response)} is not a PEP 740 provenance object with attestations",
        )
    publisher = bundles[0].get("publisher")
    workflow = publisher.get("workflow") if isinstance(publisher, dict) else None
    lines = "".join(json.dumps(a, separators=(",", ":")) + "\n" for a in attestations)
    return Provenance(filename, lines.encode(), workflow if isinstance(workflow, str) else "")


@dataclass(frozen=True)
class Evidence:
    source: str  # asset name
    digests: frozenset[str] = frozenset()
    error: ReleaseError | None = None
    unreachable: str = ""


def read_evidence(
    gh: Release,
    repo: str,
    web: WebClient,
    headers: dict[str, str],
    verifier: ProvenanceVerifier,
) -> Evidence | None:
    """The verified subjects of the release's provenance, else its SHA256SUMS; None if neither."""
    asset = gh.asset(PROVENANCE_NAME) or next(
        (a for a in gh.assets if a.name.endswith(".intoto.jsonl")), None
    )
    sums = gh.asset(*SUMS_NAMES)
    chosen = asset or sums
    if chosen is None:
        return None
    try:
        response = web.get(chosen.url, headers=headers)
    except NetworkError as exc:
        return Evidence(chosen.name, unreachable=exc.cause.rstrip("."))
    if response.status != 200:
        return Evidence(chosen.name, unreachable=describe(response))
    try:
        if asset is not None:
            digests = verifier(response.body, repo, gh.tag)
        else:
            text = response.body.decode("utf-8", errors="strict")
            digests = {s.sha256 for s in parse_subjects(text, chosen.name)}
    except UnicodeDecodeError:
        return Evidence(chosen.name, error=SubjectsError("it is not UTF-8 text", SUMS_FIX))
    except SubjectsError as exc:
        return Evidence(chosen.name, error=SubjectsError(exc.cause, SUMS_FIX))
    except ReleaseError as exc:
        return Evidence(chosen.name, error=exc)
    return Evidence(chosen.name, frozenset(digests))


@dataclass(frozen=True)
class Download:
    """A file fetched from the index through sha256: its digest, or why it could not be read."""

    sha256: str = ""
    unreachable: str = ""


def download(web: WebClient, url: str) -> Download:
    try:
        status, digest, _size = web.sha256(url)
    except NetworkError as exc:
        return Download(unreachable=exc.cause.rstrip("."))
    if status != 200:
        return Download(unreachable=f"HTTP {status} from {url}")
    return Download(digest)


@dataclass
class Findings:
    """What one version's provenance check found: promises broken, and ones that could not be checked."""

    broken: list[tuple[str, str]] = field(default_factory=list)  # (cause, fix)
    unreachable: list[tuple[str, str]] = field(default_factory=list)

    def check(self, ok_detail: str) -> Promise:
        for status, found in ((BROKEN, self.broken), (UNREACHABLE, self.unreachable)):
            if found:
                everything = self.broken + self.unreachable
                fixes = list(dict.fromkeys(fix for _, fix in everything if fix))
                return Promise(
                    "provenance", status, "; ".join(p for p, _ in everything), " ".join(fixes)
                )
        return Promise("provenance", OK, ok_detail)


def check_provenance(
    report: VersionReport,
    downloads: dict[str, Download],
    evidence: Evidence | None,
    pep740: dict[str, Provenance | ReleaseError] | None = None,
    *,
    releases_read: bool = True,
) -> Promise:
    """The index's files match their digests and are covered by verified evidence.

    Evidence is a file's PEP 740 attestations (verified; ``pep740`` maps the
    file name to its provenance, or to the error verifying it) or the release's
    provenance or SHA256SUMS (``evidence``).
    """
    v = report.version
    if not report.files:
        return Promise("provenance", SKIPPED, "the index has no files for this version")
    pep740 = pep740 or {}
    found = Findings()
    attested = []
    for f in report.files:
        if not f.sha256:
            found.broken.append((INDEX_NO_DIGEST.format(name=f.filename), INDEX_NO_DIGEST_FIX))
            continue
        got = downloads.get(f.filename, Download(unreachable="not downloaded"))
        if got.unreachable:
            found.unreachable.append(
                (
                    DOWNLOAD_FAILED.format(name=f.filename, cause=got.unreachable),
                    DOWNLOAD_FAILED_FIX.format(url=f.url),
                )
            )
        elif got.sha256 != f.sha256:
            found.broken.append(
                (
                    INDEX_DIGEST_MISMATCH.format(name=f.filename, got=got.sha256, want=f.sha256),
                    INDEX_DIGEST_MISMATCH_FIX,
                )
            )
        outcome = pep740.get(f.filename) if f.provenance else None
        if isinstance(outcome, ReleaseError):
            found.broken.append(
                (
                    PEP740_FAILED.format(name=f.filename, cause=outcome.cause.rstrip(".")),
                    outcome.fix,
                )
            )
        elif outcome is not None and outcome.unreachable:
            found.unreachable.append(
                (
                    PEP740_UNREACHABLE.format(name=f.filename, cause=outcome.unreachable),
                    PEP740_UNREACHABLE_FIX.format(url=f.provenance),
                )
            )
        elif outcome is not None:
            attested.append(f.filename)
    uncovered = [f for f in report.files if f.sha256 and f.filename not in attested]
    sources = ["PEP 740 attestations"] if attested else []
    gh = report.release
    if uncovered and gh is None:
        if found.broken or found.unreachable:
            return found.check("")
        if not releases_read:
            return Promise("provenance", SKIPPED, NO_RELEASES_READ)
        return Promise("provenance", SKIPPED, "no release page")
    if uncovered and gh is not None:
        if evidence is None:
            found.broken.append(
                (
                    NO_EVIDENCE.format(tag=gh.tag, prov=PROVENANCE_NAME),
                    NO_EVIDENCE_FIX.format(tag=gh.tag),
                )
            )
        elif evidence.unreachable:
            found.unreachable.append(
                (
                    EVIDENCE_UNREACHABLE.format(
                        source=evidence.source, tag=gh.tag, cause=evidence.unreachable
                    ),
                    EVIDENCE_UNREACHABLE_FIX.format(repo=gh.url or gh.tag),
                )
            )
        elif evidence.error is not None:
            found.broken.append(
                (
                    EVIDENCE_UNREADABLE.format(
                        source=evidence.source, tag=gh.tag, cause=evidence.error.cause.rstrip(".")
                    ),
                    evidence.error.fix,
                )
            )
        else:
            sources.append(evidence.source)
            for f in uncovered:
                if f.sha256 not in evidence.digests:
                    found.broken.append(
                        (
                            NOT_A_SUBJECT.format(
                                name=f.filename, digest=f.sha256, source=evidence.source, tag=gh.tag
                            ),
                            NOT_A_SUBJECT_FIX.format(v=v),
                        )
                    )
    return found.check(f"{len(report.files)} file(s) match {' and '.join(sources)}")
