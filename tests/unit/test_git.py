"""The git module: remote URLs in every form, tags at HEAD and pushed, and git run one way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from release_actions import git
from release_actions.errors import InputError
from support.act import git as run_git


@pytest.mark.parametrize(
    ("url", "host", "slug"),
    [
        ("https://github.com/octo/demo", "github.com", "octo/demo"),
        ("https://github.com/octo/demo.git", "github.com", "octo/demo"),
        ("https://github.com/octo/demo/", "github.com", "octo/demo"),
        ("https://github.com/octo/demo.git/", "github.com", "octo/demo"),
        ("http://github.com/octo/demo", "github.com", "octo/demo"),
        ("https://token:x-oauth@github.com/octo/demo.git", "github.com", "octo/demo"),
        ("https://GitHub.com:443/Octo/Demo.git", "github.com", "Octo/Demo"),
        ("git@github.com:octo/demo.git", "github.com", "octo/demo"),
        ("git@github.com:octo/demo", "github.com", "octo/demo"),
        ("git@github.com:octo/demo.git/", "github.com", "octo/demo"),
        ("github.com:octo/demo.git", "github.com", "octo/demo"),
        ("ssh://git@github.com/octo/demo.git", "github.com", "octo/demo"),
        ("ssh://git@github.com:22/octo/demo.git", "github.com", "octo/demo"),
        ("ssh://github.com/octo/demo", "github.com", "octo/demo"),
        ("git+ssh://git@github.com/octo/demo.git", "github.com", "octo/demo"),
        ("git://github.com/octo/demo.git", "github.com", "octo/demo"),
        # GitHub Enterprise Server: any host, the same shapes.
        ("https://ghe.example.com/octo/demo.git", "ghe.example.com", "octo/demo"),
        ("git@ghe.example.com:octo/demo.git", "ghe.example.com", "octo/demo"),
        ("ssh://git@ghe.example.com:2222/octo/demo", "ghe.example.com", "octo/demo"),
        ("https://github.example.com/my-org/my.repo_1/", "github.example.com", "my-org/my.repo_1"),
    ],
)
def test_remote_urls_in_every_form(url: str, host: str, slug: str) -> None:
    remote = git.parse_remote(url)
    assert remote is not None
    assert (remote.host, remote.slug) == (host, slug)
    assert remote.server_url == f"https://{host}"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/srv/git/octo/demo.git",  # a local path
        "../octo/demo",
        "file:///srv/git/octo/demo.git",
        "C:/repos/octo/demo",
        "https://github.com/octo",  # no repository
        "https://gitlab.com/group/subgroup/demo.git",  # not OWNER/REPO
        "git@github.com:/octo/demo.git",  # an absolute path on the host
        "https://github.com/octo/..",
        "https://github.com/octo/de mo",
    ],
)
def test_urls_that_name_no_github_repository(url: str) -> None:
    assert git.parse_remote(url) is None


# The two parsers this module replaced disagreed: audit took the last two parts of any
# URL; provenance and init knew only github.com. Each line is what one of them got wrong.
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@ghe.example.com:octo/demo.git", "octo/demo"),  # provenance, init: none
        ("https://ghe.example.com/octo/demo", "octo/demo"),  # provenance, init: none
        ("ssh://git@github.com:22/octo/demo.git", "octo/demo"),  # provenance: none
        ("https://user@github.com/octo/demo.git", "octo/demo"),  # provenance: none
        ("https://github.com/octo/demo.git/", "octo/demo"),  # audit: octo/demo.git
        ("/srv/mirrors/octo/demo.git", None),  # audit: octo/demo
        ("file:///srv/mirrors/octo/demo", None),  # audit: octo/demo
        ("https://notgithub.com/octo/demo", "octo/demo"),  # init took it as github.com
    ],
)
def test_the_drift_between_the_old_parsers_is_gone(url: str, expected: str | None) -> None:
    remote = git.parse_remote(url)
    assert (remote.slug if remote else None) == expected
    if url.startswith("https://notgithub.com"):
        assert remote is not None
        assert remote.host == "notgithub.com"


@pytest.mark.parametrize(
    ("env", "tag"),
    [
        ({"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.2.3"}, "v1.2.3"),
        ({"GITHUB_REF": "refs/tags/v1.2.3"}, "v1.2.3"),
        ({"GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "main", "GITHUB_REF": "refs/heads/main"}, None),
        ({"GITHUB_REF": "refs/tags/"}, None),
        ({"GITHUB_REF": "refs/pull/1/merge"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_the_pushed_tag(env: dict[str, str], tag: str | None) -> None:
    assert git.pushed_tag(env) == tag


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "commit", "-q", "--allow-empty", "-m", "one")
    run_git(root, "remote", "add", "origin", "git@ghe.example.com:octo/demo.git")
    return root


def test_a_checkout_and_its_origin(checkout: Path, tmp_path: Path) -> None:
    inside = checkout / "sub"
    inside.mkdir()
    assert git.top_level(inside) == checkout.resolve()
    assert git.origin(inside) == git.Remote("ghe.example.com", "octo", "demo")
    assert git.is_complete_checkout(inside)
    assert git.head_commit(checkout) == run_git(checkout, "rev-parse", "HEAD").strip()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git.top_level(plain) is None
    assert git.origin(plain) is None
    assert not git.is_complete_checkout(plain)


def test_tags_at_head(checkout: Path, tmp_path: Path) -> None:
    assert git.tag_at_head(checkout) is None
    run_git(checkout, "tag", "v1.0.0")
    run_git(checkout, "commit", "-q", "--allow-empty", "-m", "two")
    assert git.tag_at_head(checkout) is None
    assert git.last_tag(checkout) == "v1.0.0"
    run_git(checkout, "tag", "-a", "v1.1.0", "-m", "annotated")
    assert git.tag_at_head(checkout) == "v1.1.0"
    run_git(checkout, "tag", "1.1.0")
    with pytest.raises(InputError) as several:
        git.tag_at_head(checkout)
    assert several.value.message() == (
        "HEAD carries several tags (1.1.0, v1.1.0). Say which one is the release with --tag."
    )
    assert git.tags(checkout) == {"v1.0.0", "v1.1.0", "1.1.0"}
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git.tag_at_head(plain) is None
    with pytest.raises(InputError, match="git could not list the tags of"):
        git.tags(plain)


def test_git_is_not_redirected_by_the_environment(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a git hook GIT_DIR names the hook's repository, not the folder asked about."""
    other = tmp_path / "other"
    other.mkdir()
    run_git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert git.origin(checkout) == git.Remote("ghe.example.com", "octo", "demo")
    assert git.top_level(checkout) == checkout.resolve()


def test_a_checkout_git_refuses_to_read(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")  # git's messages are read in English anyway
    with pytest.raises(InputError) as refused:
        git.top_level(checkout)
    top = checkout.resolve()
    assert refused.value.cause == (
        f"git refuses to read the checkout at {top}: it belongs to another user "
        "(git calls this 'dubious ownership')."
    )
    assert f"git config --global --add safe.directory {top}" in refused.value.fix


def test_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    with pytest.raises(InputError) as missing:
        git.run(tmp_path, "status")
    assert missing.value.message() == (
        f"git is not installed (or not on PATH), so {tmp_path} cannot be read as a checkout. "
        "Install git (https://git-scm.com/downloads) and run the command again."
    )
    # Facts a command can do without read as absent.
    assert git.read(tmp_path, "rev-parse", "HEAD") is None
    assert git.top_level(tmp_path) is None
    assert git.origin(tmp_path) is None


@pytest.mark.parametrize(
    ("env", "server", "host"),
    [
        ({}, "https://github.com", "github.com"),
        # An empty value is unset (provenance used to record an empty server for it).
        ({"GITHUB_SERVER_URL": ""}, "https://github.com", "github.com"),
        (
            {"GITHUB_SERVER_URL": "https://GHE.example.com/"},
            "https://GHE.example.com",
            "ghe.example.com",
        ),
    ],
)
def test_the_server_a_job_runs_on(env: dict[str, str], server: str, host: str) -> None:
    assert git.runner_server(env) == server
    assert git.server_host(git.runner_server(env)) == host
