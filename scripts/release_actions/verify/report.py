"""The verification report: one check per line, and the one outcome they add up to."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import (
    IncompleteVerificationError,
    UnsupportedProvenanceError,
    VerificationError,
)

Status = Literal["pass", "fail", "not done", "unsupported", "waived", "not checked"]
PASS: Status = "pass"  # noqa: S105 (a status, not a password)
FAIL: Status = "fail"
NOT_DONE: Status = "not done"  # could not be made offline: the result is undecided
UNSUPPORTED: Status = "unsupported"  # a format or signer this verifier cannot judge
WAIVED: Status = "waived"  # the user chose to accept it (--allow-unsigned)
NOT_CHECKED: Status = "not checked"  # nothing trustworthy to check it against

Outcome = Literal["verified", "failed", "unsupported", "incomplete"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


@dataclass(frozen=True)
class Subject:
    name: str
    sha256: str


@dataclass
class Attestation:
    line: int
    kind: str
    checks: list[Check] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    # PEP 740 and PyPI publish attestations vouch for a file name too, not only bytes.
    names_matter: bool = False

    def add(self, name: str, status: Status, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    @property
    def signed(self) -> bool:
        """The signature verified (or the user waived it): its subjects can be trusted."""
        return any(c.name == "signature" and c.status in (PASS, WAIVED) for c in self.checks)

    @property
    def digests(self) -> set[str]:
        return {s.sha256 for s in self.subjects}


@dataclass
class Report:
    source: str
    attestations: list[Attestation]
    subjects: Check

    @property
    def checks(self) -> list[Check]:
        return [c for a in self.attestations for c in a.checks] + [self.subjects]

    @property
    def outcome(self) -> Outcome:
        statuses = {c.status for c in self.checks}
        if FAIL in statuses:
            return "failed"
        if UNSUPPORTED in statuses:
            return "unsupported"
        if statuses - {PASS, WAIVED}:
            return "incomplete"
        return "verified"

    @property
    def ok(self) -> bool:
        return self.outcome == "verified"

    def verified_digests(self) -> set[str]:
        """The sha256 of every subject of an attestation whose signature held."""
        return set().union(*(a.digests for a in self.attestations if a.signed))

    def error(self) -> VerificationError | None:
        """The error this report amounts to; None when it verified."""
        outcome = self.outcome
        if outcome == "verified":
            return None
        if outcome == "failed":
            return VerificationError(
                f"{self.source} does not verify: {self.findings(FAIL)}.",
                "Do not use these artifacts; if you expected them to verify, check the options "
                "against how they were built.",
            )
        if outcome == "unsupported":
            return UnsupportedProvenanceError(
                f"{self.source} cannot be verified here: {self.findings(UNSUPPORTED)}.",
                "This is not evidence of tampering: verify it with the tool of the builder that "
                "made it (for slsa-github-generator, slsa-verifier).",
            )
        return IncompleteVerificationError(
            f"{self.source} is NOT verified: {self.findings(NOT_DONE, NOT_CHECKED)}.",
            "Verify it with slsa-verifier, which looks its transparency-log entry up online; "
            "do not treat it as verified until then.",
        )

    def findings(self, *statuses: Status, leave_out: Collection[str] = ()) -> str:
        """What stands between this report and "verified", as ``name: detail; …``.

        The one way every caller words a report that does not verify: the checks
        with one of ``statuses`` (default: every check that neither passed nor was
        waived), in order, without the checks named in ``leave_out``.
        """
        shown = statuses or (FAIL, NOT_DONE, UNSUPPORTED, NOT_CHECKED)
        return "; ".join(
            f"{c.name}: {c.detail}"
            for c in self.checks
            if c.status in shown and c.name not in leave_out
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "provenance": self.source,
            "verified": self.ok,
            "outcome": self.outcome,
            "attestations": [
                {"line": a.line, "kind": a.kind, "checks": [c.__dict__ for c in a.checks]}
                for a in self.attestations
            ],
            "subjects": self.subjects.__dict__,
        }
