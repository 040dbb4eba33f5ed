"""A strict local fake of the GitHub Actions runner's OIDC token endpoint.

A job with ``id-token: write`` gets two variables: ``ACTIONS_ID_TOKEN_REQUEST_URL``
(already carrying a query string) and ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``. The
client sends ``GET $URL&audience=<aud>`` with ``Authorization: bearer $TOKEN``
and receives ``{"value": "<jwt>"}``. This fake does the same on 127.0.0.1:
a wrong or missing bearer token is a 401, a missing audience a 400, and tokens
are real RS256 JWTs signed by a key generated per instance, so a fake relying
party (the PyPI fake) can verify them with ``verify_jwt``.

Claims follow GitHub's documented set; tests override any of them.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from support.loopback import Handler, Loopback

ISSUER = "https://token.actions.githubusercontent.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def default_claims(
    repository: str = "octo/demo",
    workflow: str = "release.yml",
    ref: str = "refs/tags/v1.2.3",
    sha: str = "a" * 40,
    environment: str | None = "pypi",
    event_name: str = "push",
) -> dict[str, Any]:
    """GitHub's claims for a job of ``workflow`` in ``repository`` at ``ref``."""
    owner = repository.split("/")[0]
    workflow_ref = f"{repository}/.github/workflows/{workflow}@{ref}"
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": f"repo:{repository}:"
        + (f"environment:{environment}" if environment else f"ref:{ref}"),
        "repository": repository,
        "repository_id": "123456",
        "repository_owner": owner,
        "repository_owner_id": "654321",
        "repository_visibility": "public",
        "ref": ref,
        "ref_type": "tag" if ref.startswith("refs/tags/") else "branch",
        "sha": sha,
        "workflow": "Release",
        "workflow_ref": workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": sha,
        "event_name": event_name,
        "run_id": "42",
        "run_number": "7",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": "maintainer",
        "actor_id": "1001",
    }
    if environment:
        claims["environment"] = environment
    return claims


class FakeRunnerOidc:
    """``with FakeRunnerOidc(claims) as oidc: env.update(oidc.env)``."""

    def __init__(self, claims: Mapping[str, Any] | None = None, *, lifetime: int = 300) -> None:
        self.claims = dict(claims or default_claims())
        self.lifetime = lifetime
        self.request_token = secrets.token_urlsafe(24)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.issued: list[str] = []  # every JWT handed out, in order
        self.audiences: list[str] = []
        self.fail_with: int | None = None  # answer every request with this status
        self._loopback = Loopback(self._handler())

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> FakeRunnerOidc:
        self._loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loopback.stop()

    @property
    def url(self) -> str:
        return f"{self._loopback.url}/token?api-version=2.0"

    @property
    def env(self) -> dict[str, str]:
        """The two variables a job with ``id-token: write`` receives."""
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
        }

    # -- tokens ----------------------------------------------------------------

    def mint(self, audience: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {**self.claims, "aud": audience, "iat": now, "nbf": now, "exp": now + self.lifetime,
                  "jti": secrets.token_hex(16), **overrides}  # fmt: skip
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = (
            _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)

    def verify_jwt(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a token this fake issued; ValueError naming what is wrong otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a JWT")
        try:
            self.key.public_key().verify(
                _unb64url(parts[2]),
                f"{parts[0]}.{parts[1]}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError) as exc:
            raise ValueError("bad signature") from exc
        claims: dict[str, Any] = json.loads(_unb64url(parts[1]))
        if claims.get("iss") != ISSUER:
            raise ValueError("wrong issuer")
        if claims.get("aud") != audience:
            raise ValueError(f"audience is {claims.get('aud')!r}, expected {audience!r}")
        if claims.get("exp", 0) < time.time():
            raise ValueError("expired")
        return claims

    def _handler(self) -> type[Handler]:
        fake = self

        class Token(Handler):
            def _send(self, status: int, body: dict[str, Any]) -> None:
                self.reply(status, json.dumps(body).encode(), content_type="application/json")

            def do_GET(self) -> None:
                if fake.fail_with:
                    self._send(fake.fail_with, {"message": "fake failure"})
                    return
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/token":
                    self._send(404, {"message": "Not Found"})
                    return
                if (
                    self.headers.get("Authorization", "").lower()
                    != f"bearer {fake.request_token}".lower()
                ):
                    self._send(401, {"message": "Unauthorized"})
                    return
                query = urllib.parse.parse_qs(url.query)
                audience = query.get("audience", [""])[0]
                if not audience:
                    self._send(400, {"message": "audience is required"})
                    return
                token = fake.mint(audience)
                fake.audiences.append(audience)
                fake.issued.append(token)
                self._send(200, {"count": len(token), "value": token})

        return Token
