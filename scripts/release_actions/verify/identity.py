"""Who signed: the identity a Fulcio certificate binds, and whether that signer is trusted.

Fulcio has written two generations of GitHub extensions
(https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md): v1 (until
2023: trigger, sha, workflow name, repository, ref as raw strings) and v2
(DER UTF8Strings: source repository URI and ref, build signer and build config
URIs, runner environment). Both are read; a value is taken only from the
certificate, never from the payload it signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat import asn1

from .text import untrusted

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# Publishers whose certificates say which repository they signed for.
KNOWN_ISSUERS = {GITHUB_ISSUER: "GitHub Actions", "https://gitlab.com": "GitLab CI/CD"}

# slsa-github-generator's reusable workflows sign for the repository that calls
# them; released versions (refs/tags/vX.Y.Z) of these are trusted builders.
_TRUSTED_BUILDER = re.compile(
    r"^https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/"
    r"[\w.-]+_slsa3\.yml@refs/tags/v\d+\.\d+\.\d+(-rc\.\d+)?$"
)


@dataclass(frozen=True)
class SignerIdentity:
    issuer: str
    source: str  # github.com/owner/repo, lower case
    ref: str  # refs/tags/v1.2.3
    sha: str
    signer: str  # the workflow that signed: a reusable builder, or the caller itself
    build_config: str  # the top-level workflow with its @ref ('' in v1 certificates)
    runner_environment: str
    generation: str  # "v2" or "v1" extensions

    @property
    def publisher(self) -> str:
        return KNOWN_ISSUERS.get(self.issuer, "")


def identity_of(cert: x509.Certificate) -> SignerIdentity:
    # Imported here: key-signed provenance never needs sigstore, and it costs 0.7 s to load.
    from sigstore.verify import policy

    v2_source = _v2(cert, policy.OIDCSourceRepositoryURI.oid)
    if v2_source:
        return SignerIdentity(
            issuer=_v2(cert, policy.OIDCIssuerV2.oid) or _v1(cert, policy.OIDCIssuer.oid),
            source=uri_path(v2_source),
            ref=_v2(cert, policy.OIDCSourceRepositoryRef.oid),
            sha=_v2(cert, policy.OIDCSourceRepositoryDigest.oid),
            signer=_v2(cert, policy.OIDCBuildSignerURI.oid) or _san(cert),
            build_config=_v2(cert, policy.OIDCBuildConfigURI.oid),
            runner_environment=_v2(cert, policy.OIDCRunnerEnvironment.oid),
            generation="v2",
        )
    repository = _v1(cert, policy.GitHubWorkflowRepository.oid)
    return SignerIdentity(
        issuer=_v2(cert, policy.OIDCIssuerV2.oid) or _v1(cert, policy.OIDCIssuer.oid),
        source=f"github.com/{repository}".lower() if repository else "",
        ref=_v1(cert, policy.GitHubWorkflowRef.oid),
        sha=_v1(cert, policy.GitHubWorkflowSHA.oid),
        signer=_san(cert),
        build_config="",
        runner_environment="",
        generation="v1",
    )


def _extension_bytes(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bytes | None:
    try:
        value = cert.extensions.get_extension_for_oid(oid).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    raw = getattr(value, "value", None)
    return raw if isinstance(raw, bytes) else None


def _v2(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    raw = _extension_bytes(cert, oid)
    if raw is None:
        return ""
    try:
        return str(asn1.decode_der(str, raw))
    except ValueError:
        return ""


def _v1(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    raw = _extension_bytes(cert, oid)
    return raw.decode("utf-8", errors="replace") if raw is not None else ""


def _san(cert: x509.Certificate) -> str:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ""
    values = [str(v) for v in names.get_values_for_type(x509.UniformResourceIdentifier)]
    values += [str(v) for v in names.get_values_for_type(x509.RFC822Name)]
    return values[0] if values else ""


def uri_path(uri: str) -> str:
    """``https://github.com/O/R.git`` → ``github.com/o/r``: repository URIs compared as paths."""
    return uri.split("://", 1)[-1].removeprefix("git+").removesuffix(".git").rstrip("/").lower()


def workflow_repository(uri: str) -> str:
    """``https://github.com/O/R/.github/workflows/x.yml@ref`` → ``github.com/o/r``."""
    path = uri_path(uri.split("@", 1)[0])
    for separator in ("/.github/workflows/", "//"):  # GitHub; GitLab's CI file path
        if separator in path:
            return path.split(separator, 1)[0]
    return ""


def builder_matches(actual: str, wanted: str) -> bool:
    """slsa-verifier's --builder-id forms: NAME, NAME@vX.Y.Z and NAME@refs/tags/vX.Y.Z."""
    name, _, ref = wanted.partition("@")
    actual_name, _, actual_ref = actual.partition("@")
    if name != actual_name:
        return False
    if not ref:
        return True
    if not ref.startswith("refs/"):
        ref = f"refs/tags/{ref}"
    return actual_ref == ref


def trust_in_signer(who: SignerIdentity, builder_id: str) -> str:
    """Why the signing workflow may vouch for the build; '' when nothing makes it trusted.

    The source repository's own workflow vouches for its own build (actions/attest,
    ours). Another repository's workflow is trusted only as a released
    slsa-github-generator builder, or when the user names it with --builder-id:
    a fork of the generator signs just as validly, and proves nothing.
    """
    if who.signer and workflow_repository(who.signer) == who.source:
        return "the source repository's own workflow"
    if _TRUSTED_BUILDER.match(who.signer):
        return "a released slsa-github-generator builder"
    if builder_id and builder_matches(who.signer, builder_id):
        return "the builder named by --builder-id"
    return ""


def describe(who: SignerIdentity) -> str:
    parts = [
        who.publisher or untrusted(who.issuer),
        f"source {untrusted(who.source) or 'unknown'}",
        f"ref {untrusted(who.ref) or 'unknown'}",
        f"signer {untrusted(who.signer) or 'unknown'}",
    ]
    if who.build_config and who.build_config != who.signer:
        parts.append(f"workflow {untrusted(who.build_config)}")
    if who.generation == "v1":
        parts.append("(v1 certificate extensions)")
    return "; ".join(parts)
