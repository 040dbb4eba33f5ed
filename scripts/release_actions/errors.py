"""The one error hierarchy of the suite.

Library code raises these and never prints or exits; only the CLI turns an
error into a message, an annotation and an exit code. Each error carries a
one-line cause, the fix, and an anchor in the troubleshooting docs.
"""

from __future__ import annotations

DOCS_URL = "https://github.com/release-actions/release-actions/blob/main/docs/troubleshooting.md"


def shown(value: str) -> str:
    """A user's value made safe to quote in a one-line message (no line breaks or controls)."""
    text = value.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 80 else text[:77] + "..."


class ReleaseError(Exception):
    """A failure the user can act on: exit code 1, one clear message."""

    exit_code = 1
    title = "release-actions failed"
    anchor = ""

    def __init__(self, cause: str, fix: str = "", *, details: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.fix = fix
        # Longer Markdown for the job summary (e.g. a tool's output tail).
        self.details = details

    @property
    def docs(self) -> str:
        return f"{DOCS_URL}#{self.anchor}" if self.anchor else ""

    def message(self) -> str:
        """Cause and fix on one logical line, as the user reads it."""
        return f"{self.cause} {self.fix}".strip() if self.fix else self.cause


class UsageError(ReleaseError):
    """The command line itself is wrong (exit code 2, like argparse)."""

    exit_code = 2
    title = "Invalid arguments"
    anchor = "invalid-arguments"


class InputError(ReleaseError):
    """A file, directory, glob or value given to a command is unusable."""

    title = "Invalid input"
    anchor = "invalid-input"


class ProjectError(InputError):
    """The project directory is not a buildable Python project."""

    title = "Not a Python project"
    anchor = "not-a-python-project"


class BuildError(ReleaseError):
    """The build backend failed."""

    title = "Build failed"
    anchor = "build-failed"


class VersionMismatchError(ReleaseError):
    """The tag and the built package's version disagree."""

    title = "Version does not match the tag"
    anchor = "version-does-not-match-the-tag"


class DistributionCheckError(ReleaseError):
    """A built distribution would be rejected by the index or is broken."""

    title = "Distribution check failed"
    anchor = "distribution-check-failed"


class SubjectsError(InputError):
    """A SHA256SUMS file or base64 subjects value is malformed or disagrees with the files."""

    title = "Invalid subjects"
    anchor = "invalid-subjects"


class AttestationError(ReleaseError):
    """Provenance could not be produced or signed."""

    title = "Attestation failed"
    anchor = "attestation-failed"


class VerificationError(ReleaseError):
    """Provenance or an attestation did not verify."""

    title = "Verification failed"
    anchor = "verification-failed"


class UnsupportedProvenanceError(VerificationError):
    """Provenance in a format, or from a signer, this verifier cannot check (exit code 2).

    Not a forgery: the document may be valid, it is just not one we can judge.
    """

    exit_code = 2
    title = "Unsupported provenance"
    anchor = "unsupported-provenance"


class IncompleteVerificationError(VerificationError):
    """Every check made passed, but one that decides the result could not be made offline
    (exit code 3): not verified, not refuted."""

    exit_code = 3
    title = "Verification incomplete"
    anchor = "verification-incomplete"


class CredentialError(ReleaseError):
    """A token, password, key or OIDC identity is missing, refused or expired."""

    title = "Credentials refused"
    anchor = "credentials-refused"


class PublishError(ReleaseError):
    """The package index refused or failed an upload."""

    title = "Publish failed"
    anchor = "publish-failed"


class ReleasePageError(ReleaseError):
    """The GitHub release could not be created or completed."""

    title = "Release page failed"
    anchor = "release-page-failed"


class ChangelogError(ReleaseError):
    """The change log has no usable section for the version."""

    title = "Change log problem"
    anchor = "change-log-problem"


class AuditError(ReleaseError):
    """The audit could not read what it needs to check the policy."""

    title = "Audit failed"
    anchor = "audit-failed"


class NetworkError(ReleaseError):
    """A service did not answer usefully after retries."""

    title = "Service unavailable"
    anchor = "service-unavailable"
