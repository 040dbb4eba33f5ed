"""Signing a provenance Statement: keyless (Sigstore), with a key, or not at all.

Each signer turns the Statement's bytes into one JSON line of
``multiple.intoto.jsonl``:

- ``sigstore``: a Sigstore bundle v0.3 holding a DSSE envelope, signed with a
  short-lived Fulcio certificate for the runner's OIDC identity and logged in
  Rekor (what slsa-github-generator v2.1 and ``actions/attest`` write);
- ``key``: a DSSE envelope signed by an ECDSA P-256 or Ed25519 key (GitHub
  Enterprise Server, self-hosted and air-gapped builds, local rehearsals);
- ``none``: a DSSE envelope with no signatures, only when asked for.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from .errors import AttestationError, CredentialError, InputError, NetworkError, UsageError
from .provenance import PAYLOAD_TYPE
from .reporter import Reporter

Signer = Literal["sigstore", "key", "none"]
SIGNERS: tuple[Signer, ...] = get_args(Signer)
KEY_ENV = "RA_SIGNING_KEY"  # PEM text of the private key, for keys kept in a CI secret
SIGSTORE_AUDIENCE = "sigstore"
# Set (through GITHUB_ENV) by the build command for the rest of its job.
BUILT_IN_JOB_ENV = "RA_BUILT_IN_THIS_JOB"


@dataclass(frozen=True)
class Signed:
    line: str  # one JSON object, no newline
    identity: str  # who signed, for the summary


def unsigned_envelope(payload: bytes) -> dict[str, object]:
    return {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [],
    }


# -- keys ---------------------------------------------------------------------------------------


def load_private_key(
    path: Path | None, env: Mapping[str, str]
) -> ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey:
    """An ECDSA P-256 or Ed25519 private key from a PEM file, else from RA_SIGNING_KEY."""
    if path is not None:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise InputError(
                f"The signing key '{path}' cannot be read: {exc.strerror}.",
                "Pass --key with a PEM private key file.",
            ) from None
        where = f"'{path}'"
    elif env.get(KEY_ENV):
        pem = env[KEY_ENV].encode()
        where = KEY_ENV
    else:
        raise UsageError(
            "The key signer needs a private key.",
            f"Pass --key PEM_FILE, or put the PEM text in the {KEY_ENV} environment variable (a secret on a runner).",
        )
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise InputError(
            f"The signing key in {where} is encrypted.",
            "Give the key unencrypted, kept in a CI secret or a file only this job can read.",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        # Deliberately vague: a parser's message could quote key material.
        raise InputError(
            f"{where} does not hold a PEM private key.",
            "Use an ECDSA P-256 or Ed25519 key in PEM (e.g. 'openssl genpkey -algorithm ed25519').",
        ) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    kind = (
        f"an ECDSA {key.curve.name}"
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else f"a {type(key).__name__}"
    )
    raise InputError(
        f"The signing key in {where} is {kind} key.", "Use an ECDSA P-256 or Ed25519 key."
    )


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign_with_key(
    payload: bytes, key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
) -> Signed:
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import CryptoSigner  # type: ignore[attr-defined]

    signer = CryptoSigner(key)
    envelope = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
    envelope.sign(signer)
    line = json.dumps(envelope.to_dict(), separators=(",", ":"))
    return Signed(line, f"key {signer.public_key.keyid[:16]} ({signer.public_key.scheme})")


# -- Sigstore -------------------------------------------------------------------------------------


def oidc_token(
    env: Mapping[str, str], reporter: Reporter, audience: str = SIGSTORE_AUDIENCE
) -> str:
    """The runner's OIDC token for Sigstore; masked before anything can print it."""
    from .oidc import runner_token

    token = runner_token(env, reporter, audience, does="signs")
    if token is None:
        raise UsageError(
            "Keyless signing needs a CI identity, and none is available here.",
            "On a laptop use '--signer key --key PEM_FILE', or '--signer none' for an unsigned rehearsal.",
        )
    return token


def sigstore_sign(payload: bytes, token: str) -> Signed:
    """Keyless signing with Sigstore's public-good instance (needs the network).

    The one boundary tests replace: everything before it (token, Statement)
    and after it (writing the line) runs for real.
    """
    from sigstore import dsse
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityError, IdentityToken
    from sigstore.sign import SigningContext

    try:
        identity = IdentityToken(token)
    except IdentityError as exc:
        raise CredentialError(
            f"The OIDC token cannot be used for signing: {exc}.", "Re-run the job."
        ) from None
    try:
        context = SigningContext.from_trust_config(ClientTrustConfig.production())
        with context.signer(identity, cache=True) as signer:
            bundle = signer.sign_dsse(dsse.Statement(payload))
    except SigstoreError as exc:
        raise NetworkError(
            f"Sigstore could not sign: {exc}.",
            "Re-run the job; Sigstore's status is at https://status.sigstore.dev.",
        ) from None
    except OSError as exc:
        raise NetworkError(
            f"Sigstore is unreachable: {exc}.", "Re-run the job when the network is back."
        ) from None
    return Signed(
        json.dumps(json.loads(bundle.to_json()), separators=(",", ":")),
        f"{identity.identity} ({identity.issuer})",
    )


def sign(
    payload: bytes,
    signer: Signer,
    *,
    key_path: Path | None,
    env: Mapping[str, str],
    reporter: Reporter,
    keyless: Callable[[bytes, str], Signed] | None = None,
    allow_public_log: bool = False,
) -> Signed:
    if signer == "none":
        return Signed(
            json.dumps(unsigned_envelope(payload), separators=(",", ":")), "UNSIGNED (rehearsal)"
        )
    if signer == "key":
        return sign_with_key(payload, load_private_key(key_path, env))
    if signer == "sigstore":
        if env.get(BUILT_IN_JOB_ENV) == "true":
            raise UsageError(
                "Keyless signing is refused in the job that ran the build: the project's build code "
                "ran in this job as the same user, and could have changed the code that signs or "
                "read the job's OIDC request token.",
                "Sign in a job of its own that receives only the hashes (the attest action after "
                "the build job, as the starter workflows do), or use the key signer.",
            )
        from .oidc import public_repository

        token = oidc_token(env, reporter)
        if not allow_public_log and not public_repository(env):
            raise UsageError(
                "This repository is not public, and keyless signing would write its name and "
                "workflow to Sigstore's public transparency log.",
                "Sign with a key (--signer key), or pass --allow-public-log (the action's "
                "allow-public-log input) to accept that.",
            )
        return (keyless or sigstore_sign)(payload, token)
    raise AttestationError(f"Unknown signer '{signer}'.", f"Use one of: {', '.join(SIGNERS)}.")
