from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from release_actions.errors import InputError, SubjectsError
from release_actions.hashing import (
    Subject,
    collect_files,
    encode_base64,
    format_sums,
    hash_files,
    match_files,
    parse_subjects,
    sha256_file,
)
from support.cli import run_cli
from support.platform import needs_fifos, needs_symlinks


def _files(tmp_path: Path, **contents: bytes) -> Path:
    d = tmp_path / "dist"
    d.mkdir(exist_ok=True)
    for name, data in contents.items():
        (d / name).write_bytes(data)
    return d


@pytest.mark.parametrize("size", [0, 1, (1 << 20) * 2 + 17])
def test_sha256_matches_hashlib_mapped_and_copied(tmp_path: Path, size: int) -> None:
    import hashlib

    data = os.urandom(size)
    f = tmp_path / "x.bin"
    f.write_bytes(data)
    assert sha256_file(f) == hashlib.sha256(data).hexdigest()  # through a memory map
    copy = tmp_path / "copy.bin"
    assert sha256_file(f, copy_to=copy) == hashlib.sha256(data).hexdigest()  # in chunks
    assert copy.read_bytes() == data


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not installed")
def test_output_is_byte_identical_to_sha256sum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _files(
        tmp_path, **{"b-1.0.tar.gz": b"bb", "a-1.0-py3-none-any.whl": b"a" * 5000, "c.txt": b""}
    )
    names = sorted(p.name for p in d.iterdir())
    expected = subprocess.run(["sha256sum", *names], cwd=d, capture_output=True, check=True).stdout
    result = run_cli(["hash", str(d / "*")], capsys, tmp_path, on_runner=False)
    assert result.code == 0
    assert result.out.encode() == expected


def test_sums_file_is_accepted_by_sha256sum_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _files(tmp_path, **{"p-1.0.tar.gz": b"sdist", "p-1.0-py3-none-any.whl": b"wheel"})
    sums = d / "SHA256SUMS"
    result = run_cli(["hash", str(d), "--output", str(sums)], capsys, tmp_path)
    assert result.code == 0
    assert result.outputs["sums-file"].endswith("SHA256SUMS")
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=d, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
    # a second run over the directory does not hash its own SHA256SUMS
    again = run_cli(["hash", str(d)], capsys, tmp_path, on_runner=False)
    assert "SHA256SUMS" not in again.out


def test_base64_is_the_encoding_of_the_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _files(tmp_path, **{"p-1.0.tar.gz": b"x"})
    plain = run_cli(["hash", str(d)], capsys, tmp_path, on_runner=False).out
    encoded = run_cli(["hash", str(d), "--base64"], capsys, tmp_path)
    assert base64.b64decode(encoded.out.strip()).decode() == plain
    assert encoded.outputs["subjects"] == encoded.out.strip()
    assert "p-1.0.tar.gz" in encoded.summary


def test_merges_matrix_artifacts_and_identical_duplicates(tmp_path: Path) -> None:
    (tmp_path / "linux").mkdir()
    (tmp_path / "mac").mkdir()
    (tmp_path / "linux" / "p-1.0-cp311-linux.whl").write_bytes(b"L")
    (tmp_path / "mac" / "p-1.0-cp311-macos.whl").write_bytes(b"M")
    (tmp_path / "linux" / "p-1.0.tar.gz").write_bytes(b"S")
    (tmp_path / "mac" / "p-1.0.tar.gz").write_bytes(b"S")
    subjects = hash_files(collect_files(["linux", "mac/*"], base=tmp_path))
    assert [s.name for s in subjects] == [
        "p-1.0-cp311-linux.whl",
        "p-1.0-cp311-macos.whl",
        "p-1.0.tar.gz",
    ]


def test_duplicate_names_with_different_content_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "p-1.0.tar.gz").write_bytes(b"one")
    (tmp_path / "b" / "p-1.0.tar.gz").write_bytes(b"two")
    sums = tmp_path / "SHA256SUMS"
    result = run_cli(
        ["hash", str(tmp_path / "a"), str(tmp_path / "b"), "--output", str(sums)], capsys, tmp_path
    )
    assert result.code == 1
    assert "Two different files are both named 'p-1.0.tar.gz'" in result.out
    assert result.out.startswith("::error title=Invalid subjects::")
    assert not sums.exists()
    assert "subjects" not in result.outputs


@pytest.mark.parametrize(
    ("make", "arg", "message"),
    [
        (lambda d: None, "nothing/*.whl", "'nothing/*.whl' matches no files"),
        (lambda d: None, "missing.tar.gz", "missing.tar.gz: no such file"),
        (lambda d: (d / "empty").mkdir(), "empty", "'empty' is an empty directory"),
        pytest.param(
            lambda d: os.symlink(d / "empty", d / "link.whl"),
            "link.whl",
            "is a symbolic link",
            marks=needs_symlinks,
        ),
        pytest.param(
            lambda d: os.mkfifo(d / "fifo.whl"),
            "fifo.whl",
            "is not a regular file",
            marks=needs_fifos,
        ),
        (lambda d: None, " ", "An empty path was given"),
    ],
)
def test_bad_inputs_fail_with_a_clear_message(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make,
    arg: str,
    message: str,
) -> None:
    make(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_cli(["hash", arg, "--output", "SHA256SUMS"], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert message in result.err
    assert result.err.startswith("error: Invalid input:")
    assert "Traceback" not in result.err
    assert not (tmp_path / "SHA256SUMS").exists()


def test_default_is_dist_and_missing_dist_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["hash"], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "'dist/*' matches no files" in result.err
    _files(tmp_path, **{"p-1.0.tar.gz": b"x", "p-1.0.tar.gz.intoto.jsonl": b"{}"})
    result = run_cli(["hash"], capsys, tmp_path, on_runner=False)
    assert result.code == 0
    assert result.out.endswith("  p-1.0.tar.gz\n")
    assert "intoto" not in result.out


def test_directory_given_as_file_inside_glob_is_skipped_but_explicit_dir_expands(
    tmp_path: Path,
) -> None:
    d = _files(tmp_path, **{"p-1.0.tar.gz": b"x"})
    (d / "sub").mkdir()
    assert [p.name for p in collect_files([str(d / "*")])] == ["p-1.0.tar.gz"]


def test_parse_subjects_reads_both_forms_and_rejects_garbage() -> None:
    subjects = [Subject("b.whl", "b" * 64), Subject("a.tar.gz", "a" * 64)]
    text = format_sums(subjects)
    assert parse_subjects(text) == parse_subjects(encode_base64(subjects))
    assert [s.name for s in parse_subjects(text)] == ["a.tar.gz", "b.whl"]
    assert parse_subjects(f"{'A' * 64} *a.tar.gz\n")[0].sha256 == "a" * 64
    for bad, message in [
        ("", "lists no files"),
        ("not base64 at all!", "neither sha256sum lines nor their base64"),
        (base64.b64encode(b"hello").decode(), "not a sha256sum line"),
        (f"{'a' * 63}  x.whl", "neither sha256sum lines"),
        (f"{'a' * 64}  ../x.whl", "not a plain file name"),
        (f"{'a' * 64}  x.whl\n{'b' * 64}  x.whl", "listed twice with different digests"),
        (f"{'a' * 64}  x.whl\ngarbage", "line 2: not a sha256sum line"),
    ]:
        with pytest.raises(SubjectsError, match=message):
            parse_subjects(bad)


def test_match_files_is_the_integrity_gate() -> None:
    subjects = [Subject("a.whl", "a" * 64)]
    match_files(subjects, [Subject("a.whl", "a" * 64)])
    with pytest.raises(SubjectsError, match="not among the hashed subjects"):
        match_files(subjects, [Subject("b.whl", "a" * 64)])
    with pytest.raises(SubjectsError, match="does not match its hashed subject") as info:
        match_files(subjects, [Subject("a.whl", "b" * 64)])
    assert "changed after it was hashed" in info.value.fix


def test_names_that_cannot_be_subjects_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad\nname.whl"
    f.write_bytes(b"x")
    with pytest.raises(InputError, match="cannot be written as a subject"):
        hash_files([f])
