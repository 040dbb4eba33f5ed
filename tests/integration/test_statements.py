"""Every in-toto Statement the suite writes, read by the in-toto project's own bindings.

``in_toto_attestation`` parses the Statement and the SLSA v1 predicate into their protobuf
schemas (an unknown or misspelt field, or a wrong JSON type, fails the parse) and applies the
framework's validation rules: an independent reader, not our picture of the format.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement

from release_actions.provenance import SLSA_V1
from support.cli import RUNNER_ENV, run_cli


def _statements(provenance: Path) -> list[dict[str, object]]:
    found = []
    for line in provenance.read_text().splitlines():
        envelope = json.loads(line)
        envelope = envelope.get("dsseEnvelope", envelope)
        assert envelope["payloadType"] == "application/vnd.in-toto+json"
        found.append(json.loads(base64.b64decode(envelope["payload"])))
    return found


def _check(statement: dict[str, object]) -> statement_pb2.Statement:
    parsed = json_format.ParseDict(statement, statement_pb2.Statement())
    Statement.copy_from_pb(parsed).validate()
    assert parsed.predicate_type == SLSA_V1
    json_format.ParseDict(statement["predicate"], provenance_pb2.Provenance())
    return parsed


@pytest.mark.parametrize("signer", ["key", "none"])
def test_attest_writes_statements_the_in_toto_bindings_accept(
    dist: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: str
) -> None:
    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(key)
    args = ["attest", "--signer", signer, "--output", str(tmp_path / "p.intoto.jsonl")]
    if signer == "key":
        args += ["--key", str(tmp_path / "key.pem")]
    result = run_cli(args, capsys, tmp_path, env=RUNNER_ENV)
    assert result.code == 0, result.text
    (statement,) = _statements(tmp_path / "p.intoto.jsonl")
    parsed = _check(statement)
    assert sorted(s.name for s in parsed.subject) == sorted(p.name for p in dist.iterdir())


def test_the_bindings_are_strict_enough_to_catch_a_misspelt_field() -> None:
    """The oracle itself: a field the schema does not know is refused."""
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": SLSA_V1,
                 "subject": [{"name": "a", "digest": {"sha256": "0" * 64}}],
                 "predicate": {"buildDefinition": {"buildType": "x"}, "runDetail": {}}}  # fmt: skip
    with pytest.raises(json_format.ParseError):
        _check(statement)
    statement["predicate"] = {"buildDefinition": {"buildType": "x"}, "runDetails": {}}
    _check(statement)
