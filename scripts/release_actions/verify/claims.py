"""What the signed Statement claims, and whether it is what the user expects.

For a Sigstore signature the certificate is the authority: the source, ref and
workflow are read from it, and the predicate must agree with it. For a key
signature the key holder vouches for the predicate, so the expectations are
checked against what it records; no expectation is ever silently skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from ..errors import UsageError
from ..hashing import is_sha256_hex
from ..provenance import RUNNER_BUILDER_PREFIX, STATEMENT_TYPES, Claims, claims_of
from .identity import SignerIdentity, builder_matches, describe, trust_in_signer, uri_path
from .report import FAIL, PASS, Attestation, Subject
from .text import untrusted

PYPI_PUBLISH = "https://docs.pypi.org/attestations/publish/v1"


@dataclass(frozen=True)
class Expectations:
    source_uri: str = ""  # github.com/OWNER/REPO
    tag: str = ""
    branch: str = ""
    versioned_tag: str = ""  # slsa-verifier's --source-versioned-tag: v1, v1.2 or v1.2.3
    builder_id: str = ""
    workflow: str = ""  # release.yml, .github/workflows/release.yml, either with @REF
    public_key_pem: bytes | None = None
    allow_unsigned: bool = False
    online: bool = False

    def validate(self) -> None:
        if self.versioned_tag and not _SEMVER.match(self.versioned_tag):
            raise UsageError(
                f"--source-versioned-tag '{untrusted(self.versioned_tag)}' is not a semantic version.",
                "Write it as slsa-verifier does: v1, v1.2 or v1.2.3.",
            )


@dataclass(frozen=True)
class Statement:
    predicate_type: str
    subjects: list[Subject]
    claims: Claims | None
    raw: dict[str, Any]


def read_statement(att: Attestation, payload: bytes) -> Statement | None:
    try:
        statement = json.loads(payload)
    except (ValueError, RecursionError):
        statement = None
    problem = ""
    subjects = []
    if not isinstance(statement, dict) or statement.get("_type") not in STATEMENT_TYPES:
        problem = "the signed payload is not an in-toto Statement"
    elif not isinstance(statement.get("subject"), list) or not statement["subject"]:
        problem = "the Statement has no subjects"
    else:
        for subject in statement["subject"]:
            digests = subject.get("digest") if isinstance(subject, dict) else None
            digest = digests.get("sha256") if isinstance(digests, dict) else None
            if not isinstance(digest, str) or not is_sha256_hex(digest.lower()):
                problem = "a subject has no sha256 digest"
                break
            name = subject.get("name") if isinstance(subject, dict) else ""
            subjects.append(Subject(name if isinstance(name, str) else "", digest.lower()))
    if problem or not isinstance(statement, dict):
        att.add("claims", FAIL, problem)
        return None
    predicate_type = statement.get("predicateType")
    predicate_type = predicate_type if isinstance(predicate_type, str) else ""
    att.subjects = subjects
    return Statement(predicate_type, subjects, claims_of(statement), statement)


# -- the signer, from its certificate -------------------------------------------------------------


def check_identity(att: Attestation, who: SignerIdentity, expect: Expectations) -> None:
    """Issuer, source repository, trusted signer, workflow and ref: all read from the certificate."""
    if not who.publisher:
        att.add(
            "signer identity",
            FAIL,
            f"unsupported publisher: certificate issued for '{untrusted(who.issuer) or 'unknown'}' "
            "(supported: GitHub Actions, GitLab CI/CD)",
        )
        return
    problems = []
    if who.source != uri_path(expect.source_uri):
        problems.append(
            f"signed for source {untrusted(who.source) or 'unknown'}, expected {untrusted(uri_path(expect.source_uri))}"
        )
    elif not trust_in_signer(who, expect.builder_id):
        problems.append(
            f"untrusted builder: signed by {untrusted(who.signer) or 'an unnamed workflow'}, which is neither "
            f"a workflow of {untrusted(who.source)} nor a released slsa-github-generator builder "
            "(pass --builder-id to trust it)"
        )
    problems += _ref_problems(who.ref, expect)
    if expect.workflow and who.build_config:
        problems += _workflow_problems(who.build_config.split("://", 1)[-1], expect.workflow)
    if who.build_config and not _ran_at_source_ref(who):
        problems.append(
            f"the workflow {untrusted(who.build_config)} ran from another ref than the source "
            f"({untrusted(who.ref) or 'unknown'})"
        )
    att.add("signer identity", FAIL if problems else PASS, "; ".join(problems) or describe(who))


def _ran_at_source_ref(who: SignerIdentity) -> bool:
    """PyPI's rule: the Build Config URI ends in @ the Source Repository Ref or Digest."""
    if "/.github/workflows/" not in who.build_config:
        return True  # GitLab's build config is a path in the source repository itself
    ref = who.build_config.rsplit("@", 1)[-1]
    return ref in {who.ref, who.sha} - {""}


# -- the predicate ------------------------------------------------------------------------------


def check_claims(
    att: Attestation, statement: Statement, who: SignerIdentity | None, expect: Expectations
) -> None:
    claims = statement.claims
    problems: list[str] = []
    if statement.predicate_type == PYPI_PUBLISH or att.kind == "PEP 740 attestation":
        att.names_matter = True
        if att.kind == "PEP 740 attestation" and len(statement.subjects) != 1:
            problems.append(
                f"a PEP 740 attestation has exactly one subject, this one has {len(statement.subjects)}"
            )
        for subject in statement.subjects:
            if dist_identity(subject.name) is None:
                problems.append(
                    f"subject '{untrusted(subject.name)}' is not a distribution file name"
                )
    if who is not None:
        if claims is None:
            # Not provenance (e.g. PyPI's publish predicate): the certificate says where it came from.
            claims = Claims(source=who.source, ref=who.ref, builder_id=who.signer, workflow="")
        else:
            problems += _disagreements(claims, who)
        # The ref, workflow and source were checked against the certificate itself.
        problems += _builder_problems(claims.builder_id, expect)
        if expect.workflow and not who.build_config:
            problems += _v1_workflow_problems(claims, who, expect)
    else:
        claims = claims or Claims("", "", "", "")
        if expect.source_uri and uri_path(claims.source) != uri_path(expect.source_uri):
            problems.append(
                f"source is {untrusted(uri_path(claims.source)) or 'not recorded'}, "
                f"expected {untrusted(uri_path(expect.source_uri))}"
            )
        problems += _ref_problems(claims.ref, expect)
        problems += _builder_problems(claims.builder_id, expect)
        if expect.workflow:
            recorded = (
                f"{uri_path(claims.source)}/{claims.workflow}@{claims.ref}"
                if claims.workflow
                else ""
            )
            problems += _workflow_problems(recorded, expect.workflow)
    detail = (
        f"{untrusted(statement.predicate_type) or 'no predicate type'}: source {untrusted(claims.source) or '-'}, "
        f"ref {untrusted(claims.ref) or '-'}, builder {untrusted(claims.builder_id) or '-'}"
    )
    att.add("claims", FAIL if problems else PASS, "; ".join(problems) or detail)


def _disagreements(claims: Claims, who: SignerIdentity) -> list[str]:
    """The predicate is only as good as its signer: every field it shares with the certificate must agree."""
    problems = []
    if claims.source and uri_path(claims.source) != who.source:
        problems.append(
            f"the provenance claims source {untrusted(claims.source)} but was signed for {untrusted(who.source)}"
        )
    if claims.ref and who.ref and claims.ref != who.ref:
        problems.append(
            f"the provenance claims ref {untrusted(claims.ref)} but was signed by a run on {untrusted(who.ref)}"
        )
    if claims.builder_id.startswith(RUNNER_BUILDER_PREFIX):
        if claims.builder_id.removeprefix(RUNNER_BUILDER_PREFIX) != who.runner_environment:
            problems.append(
                f"builder {untrusted(claims.builder_id)} but the signing runner was "
                f"'{untrusted(who.runner_environment) or 'unknown'}'"
            )
        if claims.workflow and who.build_config:
            path = who.build_config.split("@", 1)[0]
            if not path.endswith("/" + claims.workflow):
                problems.append(
                    f"the provenance claims workflow {untrusted(claims.workflow)} but "
                    f"{untrusted(who.build_config)} signed it"
                )
    elif who.signer and claims.builder_id.split("@", 1)[0] != who.signer.split("@", 1)[0]:
        problems.append(
            f"builder {untrusted(claims.builder_id)} is not the signing workflow {untrusted(who.signer)}"
        )
    return problems


def _builder_problems(actual: str, expect: Expectations) -> list[str]:
    if expect.builder_id and not builder_matches(actual, expect.builder_id):
        return [
            f"builder is {untrusted(actual) or 'not recorded'}, expected {untrusted(expect.builder_id)}"
        ]
    return []


def _v1_workflow_problems(claims: Claims, who: SignerIdentity, expect: Expectations) -> list[str]:
    """v1 certificates carry no workflow file: only a trusted builder's own record can say."""
    if not claims.workflow or not trust_in_signer(who, ""):
        return [
            f"--workflow cannot be checked: the certificate (v1 extensions) names no workflow file "
            f"and {untrusted(who.signer) or 'the signer'} is not a builder whose record is trusted"
        ]
    recorded = f"{who.source}/{claims.workflow}@{who.ref}"
    return _workflow_problems(recorded, expect.workflow)


def _workflow_problems(recorded: str, wanted: str) -> list[str]:
    """``recorded`` is HOST/OWNER/REPO/PATH@REF; ``wanted`` a file or path, optionally @REF."""
    if not recorded:
        return [f"the workflow is not recorded, expected {untrusted(wanted)}"]
    path, _, ref = recorded.rpartition("@")
    want_path, _, want_ref = wanted.partition("@")
    want_path = want_path.strip("/")
    same = (
        path.endswith("/" + want_path) if "/" in want_path else path.rsplit("/", 1)[-1] == want_path
    )
    if not same or (want_ref and ref != want_ref):
        return [f"run by workflow {untrusted(recorded)}, expected {untrusted(wanted)}"]
    return []


# -- refs -----------------------------------------------------------------------------------------

_SEMVER = re.compile(
    r"^v(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*)"
    r"(?:\.(?P<patch>0|[1-9]\d*)(?P<pre>-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)


def _ref_problems(ref: str, expect: Expectations) -> list[str]:
    problems = []
    shown = untrusted(ref) or "not recorded"
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else None
    if (expect.tag or expect.versioned_tag) and tag is None:
        problems.append(
            f"not built from a tag (ref {shown}), expected tag {untrusted(expect.tag or expect.versioned_tag)}"
        )
    elif expect.tag and tag != expect.tag:
        problems.append(f"built from tag {untrusted(tag)}, expected tag {untrusted(expect.tag)}")
    elif (
        expect.versioned_tag
        and tag is not None
        and not versioned_tag_matches(tag, expect.versioned_tag)
    ):
        problems.append(
            f"built from tag {untrusted(tag)}, which is not version {untrusted(expect.versioned_tag)}"
        )
    if expect.branch and ref != f"refs/heads/{expect.branch}":
        problems.append(f"built from {shown}, expected branch {untrusted(expect.branch)}")
    return problems


def versioned_tag_matches(tag: str, wanted: str) -> bool:
    """slsa-verifier's semantics: the parts of ``wanted`` given (major, minor, patch) must equal the tag's."""
    have, want = _SEMVER.match(tag), _SEMVER.match(wanted)
    if have is None or want is None:
        return False
    for part in ("major", "minor", "patch"):
        if want[part] is None:
            return True
        if (have[part] or "0") != want[part]:
            return False
    return (have["pre"] or "") == (want["pre"] or "")


# -- distribution file names (PEP 740) ----------------------------------------------------------


def dist_identity(filename: str) -> tuple[object, ...] | None:
    """A distribution file name parsed as PyPI compares them (name normalised, version parsed)."""
    try:
        if filename.endswith(".whl"):
            return ("wheel", *parse_wheel_filename(filename))
        if filename.endswith((".tar.gz", ".zip")):
            return ("sdist", *parse_sdist_filename(filename))
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None
