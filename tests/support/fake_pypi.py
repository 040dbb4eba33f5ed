"""A strict local fake of PyPI's upload endpoint, Trusted Publishing and JSON/simple APIs.

Behaviour follows PyPI (warehouse) as documented:

- ``GET /_/oidc/audience`` → ``{"audience": "pypi"}``; 403 with a message when
  trusted publishing is disabled.
- ``POST /_/oidc/mint-token`` ``{"token": JWT}`` → 200 ``{"success", "token",
  "expires"}``; every failure is 422 ``{"message": "Token request failed",
  "errors": [{"code", "description"}]}`` (``invalid-payload``,
  ``invalid-token``, ``invalid-publisher``, ``invalid-reuse-token`` for a JWT
  already exchanged, by its ``jti``). The JWT is verified against the
  runner fake's key; a publisher matches ``repository``, the workflow file of
  ``job_workflow_ref`` and, if it names one, ``environment``.
- ``POST /legacy/`` multipart upload with basic auth ``__token__:<token>``:
  unknown/expired/revoked token → 403; missing fields, a digest that does not
  match the content, or attestations sent without Trusted Publishing → 400;
  the same name with the same sha256 → 200 (empty, attestations dropped);
  the same name with other content → ``400 File already exists``. Errors are
  in the reason phrase, as PyPI puts them.
- ``GET /pypi/<name>/<version>/json`` and ``GET /simple/<name>/`` for what it
  holds.

Tests queue failures for the next uploads, one per upload request: an HTTP
status (with headers such as ``Retry-After``), a dropped connection, a delay,
an upload accepted before the connection drops, or "pass" (no failure for
this one); and the same for the OIDC requests, plus a token minted whose
answer is then lost.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from support.fake_oidc import FakeRunnerOidc
from support.loopback import Handler, Loopback

REQUIRED = (
    ":action",
    "protocol_version",
    "name",
    "version",
    "metadata_version",
    "filetype",
    "pyversion",
)


@dataclass
class Publisher:
    repository: str
    workflow: str
    environment: str | None = None


@dataclass
class StoredFile:
    filename: str
    name: str
    version: str
    content: bytes
    attestations: list[Any] | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class FakePyPI:
    runner: FakeRunnerOidc | None = None
    publishers: list[Publisher] = field(default_factory=list)
    api_tokens: set[str] = field(default_factory=set)  # long-lived tokens ("pypi-…")
    trusted_publishing: bool = True
    audience: str = "pypi"
    files: dict[str, StoredFile] = field(default_factory=dict)
    # ("status", 503) | ("status", (429, {"Retry-After": "2"})) | ("drop", None) | ("delay", s)
    failures: list[tuple[str, Any]] = field(default_factory=list)
    # The same for the OIDC endpoints, plus ("mint-then", 502): minted (the JWT is used up), then lost.
    oidc_failures: list[tuple[str, Any]] = field(default_factory=list)
    revoke_after_uploads: int | None = None  # the minted tokens stop working after N uploads
    uploads: int = 0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.minted: dict[str, float] = {}
        self.used_jti: set[str] = set()
        self._lock = threading.Lock()
        self._loopback = Loopback(self._handler())

    def __enter__(self) -> FakePyPI:
        self._loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loopback.stop()

    @property
    def base(self) -> str:
        return self._loopback.url

    @property
    def upload_url(self) -> str:
        return self.base + "/legacy/"

    # -- behaviour ---------------------------------------------------------------------------

    def _mint(self, body: bytes) -> tuple[int, dict[str, Any]]:
        def failed(code: str, description: str) -> tuple[int, dict[str, Any]]:
            return 422, {
                "message": "Token request failed",
                "errors": [{"code": code, "description": description}],
            }

        try:
            token = json.loads(body)["token"]
        except (ValueError, KeyError, TypeError):
            return failed("invalid-payload", "malformed request body")
        if self.runner is None:
            return failed("invalid-token", "no issuer is trusted")
        try:
            claims = self.runner.verify_jwt(token, self.audience)
        except ValueError as exc:
            return failed("invalid-token", f"could not verify the token: {exc}")
        if claims.get("jti") in self.used_jti:
            return failed("invalid-reuse-token", "invalid token: already used")
        for p in self.publishers:
            workflow = str(claims.get("job_workflow_ref", "")).split("@", 1)[0]
            if (
                claims.get("repository") == p.repository
                and workflow == f"{p.repository}/.github/workflows/{p.workflow}"
                and (p.environment is None or claims.get("environment") == p.environment)
            ):
                minted = "pypi-" + secrets.token_urlsafe(32)
                self.minted[minted] = time.time() + 900
                self.used_jti.add(str(claims.get("jti")))
                return 200, {"success": True, "token": minted, "expires": int(self.minted[minted])}
        return failed(
            "invalid-publisher",
            "valid token, but no corresponding publisher (All lookup strategies exhausted)",
        )

    def _authorised(self, header: str) -> tuple[bool, bool]:
        """(authorised, by a minted token)."""
        if not header.startswith("Basic "):
            return False, False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if user != "__token__":
            return False, False
        if password in self.api_tokens:
            return True, False
        expires = self.minted.get(password)
        if expires is None or expires < time.time():
            return False, False
        if self.revoke_after_uploads is not None and self.uploads >= self.revoke_after_uploads:
            return False, False
        return True, True

    def _upload(self, headers: Any, body: bytes) -> tuple[int, str]:
        ok, trusted = self._authorised(headers.get("Authorization", ""))
        if not ok:
            return (
                403,
                "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
            )
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + headers.get("Content-Type", "").encode() + b"\r\n\r\n" + body
        )
        form: dict[str, Any] = {}
        content = None
        filename = ""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "content":
                content = part.get_payload(decode=True)
                filename = part.get_filename() or ""
            else:
                form[str(name)] = part.get_payload(decode=True).decode()
        missing = [f for f in REQUIRED if not form.get(f)]
        if missing or content is None:
            return (
                400,
                f"Invalid value for {missing[0] if missing else 'content'}. Error: This field is required.",
            )
        if (
            form.get("sha256_digest")
            and form["sha256_digest"] != hashlib.sha256(content).hexdigest()
        ):
            return (
                400,
                "The digest supplied does not match a digest calculated from the uploaded file.",
            )
        attestations = None
        if "attestations" in form:
            if not trusted:
                return (
                    400,
                    "Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing",
                )
            attestations = json.loads(form["attestations"])
            if not isinstance(attestations, list) or not attestations:
                return 400, "Invalid attestations supplied during upload: Malformed attestations"
        stored = StoredFile(filename, form["name"], form["version"], content, attestations)
        with self._lock:
            existing = self.files.get(filename)
            if existing is not None:
                if existing.sha256 == stored.sha256:
                    return 200, "OK"
                return (
                    400,
                    f"File already exists ('{filename}', with blake2_256 hash '{hashlib.blake2b(existing.content, digest_size=32).hexdigest()}'). See https://pypi.org/help/#file-name-reuse for more information.",
                )
            self.files[filename] = stored
            self.uploads += 1
        return 200, "OK"

    def _project_files(self, name: str, version: str | None = None) -> list[StoredFile]:
        norm = re.sub(r"[-_.]+", "-", name).lower()
        return [f for f in self.files.values()
                if re.sub(r"[-_.]+", "-", f.name).lower() == norm and (version is None or f.version == version)]  # fmt: skip

    def _handler(self) -> type[Handler]:
        fake = self

        class PyPI(Handler):
            protocol_version = "HTTP/1.1"

            def _send(
                self,
                status: int,
                body: bytes = b"",
                reason: str | None = None,
                ctype: str = "application/json",
                headers: dict[str, str] | None = None,
            ) -> None:
                self.reply(status, body, headers, reason=reason, content_type=ctype)

            def _fail(self, queue: list[tuple[str, Any]]) -> str:
                """Act out the next queued failure: "done" (answered), "drop", or its kind."""
                if not queue:
                    return ""
                kind, value = queue.pop(0)
                if kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return "done"
                if kind == "status":
                    status, headers = value if isinstance(value, tuple) else (value, {})
                    reason = "Service Unavailable" if status == 503 else None
                    self._send(int(status), b"", reason=reason, headers=headers)
                    return "done"
                if kind == "delay":
                    time.sleep(float(value))
                return str(kind)

            def do_GET(self) -> None:
                fake.log.append(f"GET {self.path}")
                if self.path == "/_/oidc/audience" and self._fail(fake.oidc_failures) == "done":
                    return
                if self.path == "/_/oidc/audience":
                    if not fake.trusted_publishing:
                        self._send(
                            403,
                            json.dumps(
                                {"message": "Trusted publishing functionality not enabled"}
                            ).encode(),
                        )
                    else:
                        self._send(200, json.dumps({"audience": fake.audience}).encode())
                    return
                m = re.match(r"^/pypi/([^/]+)/([^/]+)/json$", self.path)
                if m:
                    files = fake._project_files(m.group(1), m.group(2))
                    if not files:
                        self._send(404, b'{"message": "Not Found"}')
                        return
                    urls = [
                        {
                            "filename": f.filename,
                            "digests": {"sha256": f.sha256},
                            "url": f"{fake.base}/files/{f.filename}",
                        }
                        for f in files
                    ]
                    self._send(
                        200,
                        json.dumps(
                            {"info": {"name": files[0].name, "version": m.group(2)}, "urls": urls}
                        ).encode(),
                    )
                    return
                m = re.match(r"^/simple/([^/]+)/$", self.path)
                if m:
                    files = fake._project_files(m.group(1))
                    links = "".join(
                        f'<a href="/files/{f.filename}#sha256={f.sha256}">{f.filename}</a>\n'
                        for f in files
                    )
                    self._send(
                        200 if files else 404,
                        f"<html><body>{links}</body></html>".encode(),
                        ctype="text/html",
                    )
                    return
                self._send(404, b'{"message": "Not Found"}')

            def do_POST(self) -> None:
                body = self.body()
                fake.log.append(f"POST {self.path}")
                if self.path == "/_/oidc/mint-token":
                    kind = self._fail(fake.oidc_failures)
                    if kind == "done":
                        return
                    status, answer = fake._mint(body)
                    if kind == "mint-then":  # minted, then the answer is lost on the way
                        status, answer = 502, {"message": "Bad Gateway"}
                    self._send(status, json.dumps(answer).encode())
                    return
                if self.path != "/legacy/":
                    self._send(404, b"")
                    return
                kind = self._fail(fake.failures)
                if kind == "done":
                    return
                # kind "pass": this upload goes through; the next failure waits its turn.
                if kind == "accept-then-drop":
                    fake._upload(self.headers, body)
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, reason = fake._upload(self.headers, body)
                self._send(
                    status,
                    b"" if status == 200 else reason.encode(),
                    reason=reason,
                    ctype="text/plain",
                )

        return PyPI
