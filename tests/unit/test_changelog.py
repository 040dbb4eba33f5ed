"""Release notes from change logs: sections, formats, reST to GitHub Markdown, the notes command."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from release_actions.changelog import (
    CANDIDATES,
    MissingNotesError,
    extract,
    find_changelog,
    read_changelog,
    rst_to_markdown,
)
from release_actions.errors import ChangelogError
from support.cli import run_cli
from support.paths import CHANGELOGS

LOGS = CHANGELOGS
REPO = "pallets/teapot"


def test_pallets_style_section_becomes_github_markdown() -> None:
    notes = extract(LOGS / "pallets-CHANGES.rst", "3.1.3", repo=REPO)
    assert notes.released is True
    assert notes.date == "2026-02-18"
    md = notes.markdown
    gh = "https://github.com/pallets/teapot"
    assert md.splitlines()[0] == (
        "- Refuse to brew coffee; answer with status 418 instead. "
        f"[GHSA-q2w3-e4r5-t6y7]({gh}/security/advisories/GHSA-q2w3-e4r5-t6y7)"
    )
    # wrapped lines are joined (GitHub renders a newline in a release body as a break)
    assert (
        "- `Pot.pour` takes a `cups` argument, wrapped over two lines of the source. "
        f"[#901]({gh}/pull/901), [#905]({gh}/pull/905)"
    ) in md
    assert "[pallets/kettle#77](https://github.com/pallets/kettle/issues/77)" in md
    assert "Fix `brew()` when" in md
    assert "[@tealover](https://github.com/tealover)" in md
    assert f"[0a1b2c3]({gh}/commit/0a1b2c3d4e5f)" in md
    # reST links, named references with targets elsewhere in the file, unknown roles as text
    assert (
        "[the brewing guide](https://example.org/brew) and [the FAQ](https://example.org/faq)" in md
    )
    assert "upgrading has the details." in md
    # nested lists, ~ shortened cross references, literal blocks inside an item
    assert (
        "  - The `Kettle.whistle` attribute is removed.\n  - `Cosy` no longer wraps the pot." in md
    )
    assert "- Example of the new call:\n\n  ```\n  pot.pour(cups=2)\n  ```\n\n  That is all." in md
    for raw in (":issue:", ":pr:", ":func:", ":doc:", ":ref:", "`_", "Released", ".. _"):
        assert raw not in md, raw
    assert not re.search(r"(?<!`)``(?!`)", md)
    # nothing of the neighbouring sections
    assert "STEEP_SECONDS" not in md
    assert "two pourers" not in md


def test_roles_without_a_repository_stay_readable() -> None:
    md = rst_to_markdown("- Fix it. :issue:`5` :pr:`6` :user:`ann` :unknownrole:`some text`\n")
    assert md == "- Fix it. #5 #6 [@ann](https://github.com/ann) some text\n"


def test_enterprise_server_links_go_to_that_server() -> None:
    md = rst_to_markdown(":issue:`5`", repo="o/r", server_url="https://ghe.example.com/")
    assert md == "[#5](https://ghe.example.com/o/r/issues/5)\n"


def test_markdown_special_text_is_not_misread() -> None:
    md = rst_to_markdown("Use <script> carefully, ``a `b` c`` too.\n\n1. first\n2. second\n")
    assert md == "Use \\<script> carefully, `` a `b` c `` too.\n\n1. first\n2. second\n"


def test_unreleased_sections_are_reported() -> None:
    notes = extract(LOGS / "pallets-CHANGES.rst", "3.2.0", repo=REPO)
    assert notes.released is False
    assert notes.markdown.startswith("- Brewing honours the `STEEP_SECONDS` config.")
    assert extract(LOGS / "pallets-CHANGES.rst", "3.1.2").released is True


def test_packaging_style_headings_under_a_title_and_subsections() -> None:
    log = read_changelog(LOGS / "packaging-style.rst")
    assert log.versions() == ["2.1", "2.0"]
    md = extract(LOGS / "packaging-style.rst", "2.0", repo=REPO).markdown
    assert md.startswith("### Bug fixes\n\n- Correct the parser")
    assert "[PEP 440](https://peps.python.org/pep-0440/)" in md
    assert "[RFC 3986](https://datatracker.ietf.org/doc/html/rfc3986)" in md
    assert "Fix `<` comparisons" in extract(LOGS / "packaging-style.rst", "2.1").markdown


def test_keep_a_changelog_markdown() -> None:
    log = read_changelog(LOGS / "keepachangelog.md")
    assert log.versions() == ["Unreleased", "1.2.3", "1.2.2"]
    notes = extract(LOGS / "keepachangelog.md", "v1.2.3")
    assert notes.released is True
    assert notes.date == "2026-01-01"
    assert notes.markdown.startswith("### Fixed\n- Handle empty input ([#12]).")
    # reference definitions the section uses come along, the others stay behind
    assert "[#12]: https://github.com/octo/demo/issues/12" in notes.markdown
    assert "[ghsa]: https://github.com/octo/demo/security/advisories/" in notes.markdown
    assert "compare/" not in notes.markdown
    assert "First public release" not in notes.markdown


def test_plain_headings_and_code_fences() -> None:
    log = read_changelog(LOGS / "plain.md")
    assert log.versions() == ["2.0.0rc1", "1.9.0"]
    md = extract(LOGS / "plain.md", "2.0.0rc1").markdown
    assert "## 9.9.9 (inside a code block" in md
    assert "Older release" not in md


def test_missing_version_names_the_versions_found() -> None:
    with pytest.raises(ChangelogError) as info:
        extract(LOGS / "pallets-CHANGES.rst", "9.0.0")
    assert info.value.message().startswith(
        "pallets-CHANGES.rst has no section for version 9.0.0; it has sections for 3.2.0, 3.1.3, 3.1.2."
    )


def test_finding_the_change_log(tmp_path: Path) -> None:
    with pytest.raises(ChangelogError, match="No change log found"):
        find_changelog(tmp_path)
    (tmp_path / "HISTORY.rst").write_text("x")
    assert find_changelog(tmp_path).name == "HISTORY.rst"
    (tmp_path / "NEWS.rst").write_text("x")
    assert find_changelog(tmp_path).name == "NEWS.rst"  # towncrier's default
    (tmp_path / "changes.md").write_text("x")
    assert find_changelog(tmp_path).name == "changes.md"


@pytest.mark.parametrize("name", CANDIDATES)
def test_every_name_in_the_message_is_found(tmp_path: Path, name: str) -> None:
    with pytest.raises(MissingNotesError) as info:
        find_changelog(tmp_path)
    listed = re.search(r"looked for (.*) in '", info.value.cause)
    assert listed is not None
    # The message lists exactly the names looked for, in order.
    assert listed.group(1).split(", ") == list(CANDIDATES)
    assert "then in its docs/ and doc/" in info.value.cause
    (tmp_path / name.lower()).write_text("x")
    assert find_changelog(tmp_path).name == name.lower()


def test_change_log_beside_the_docs(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "changelog.rst").write_text("x")
    (tmp_path / "doc").mkdir()
    (tmp_path / "doc" / "news.md").write_text("x")
    assert find_changelog(tmp_path) == tmp_path / "docs" / "changelog.rst"
    (tmp_path / "CHANGES.md").write_text("x")
    assert find_changelog(tmp_path) == tmp_path / "CHANGES.md"  # the root comes first


def test_the_fix_names_how_the_caller_passes_a_path(tmp_path: Path) -> None:
    with pytest.raises(MissingNotesError) as info:
        find_changelog(tmp_path, "Pass --changelog PATH.")
    assert info.value.fix == "Pass --changelog PATH."
    assert info.value.missing == "changelog"


# -- development and local versions ------------------------------------------------

DEV_LOG = """\
Version 3.2.0
-------------

Unreleased

-   Brew faster.

Version 3.1.3
-------------

Released 2026-02-18

-   Fix the lid.

Version 0.1
-----------

Released 2010-04-16

-   First public preview.
"""


@pytest.mark.parametrize(
    ("version", "section", "chosen"),
    [
        ("3.2.0.dev0", "3.2.0", "the section for 3.2.0"),  # a static dev version
        ("3.2.0.dev4+g1a2b3c4", "3.2.0", "the section for 3.2.0"),  # hatch-vcs / setuptools-scm
        # setuptools-scm's guess after 3.1.3 is 3.1.4.dev…: the unreleased section is the one
        ("3.1.4.dev2+g1a2b3c4.d20261201", "3.2.0", "the section 'Version 3.2.0'"),
        # a shallow checkout knows no tag: never the ancient, released 0.1
        ("0.1.dev1+g1a2b3c4", "3.2.0", "the section 'Version 3.2.0'"),
        ("3.1.3+ubuntu1", "3.1.3", "the section for 3.1.3"),  # a local version of a release
        ("3.1.3", "3.1.3", ""),
    ],
)
def test_dev_and_local_versions_take_the_coming_section(
    tmp_path: Path, version: str, section: str, chosen: str
) -> None:
    path = tmp_path / "CHANGES.rst"
    path.write_text(DEV_LOG)
    notes = extract(path, version)
    assert notes.version == section
    assert notes.chosen == chosen


def test_unreleased_and_dev_headings_serve_dev_versions(tmp_path: Path) -> None:
    # requests' HISTORY.md keeps its coming changes under "dev"; Keep a Changelog under [Unreleased].
    path = tmp_path / "HISTORY.md"
    path.write_text("Release History\n===============\n\ndev\n---\n\n- Soon.\n\n"
                    "2.32.3 (2024-05-29)\n-------------------\n\n- Fixed.\n")  # fmt: skip
    assert extract(path, "2.32.4.dev0").markdown == "- Soon.\n"
    notes = extract(LOGS / "keepachangelog.md", "1.3.0.dev1")
    assert notes.version == ""
    assert notes.released is False


def test_a_dev_version_without_any_coming_section(tmp_path: Path) -> None:
    path = tmp_path / "CHANGES.md"
    path.write_text("# Changes\n\n## 1.2.3 - 2026-11-20\n\n- Fixed.\n")
    with pytest.raises(MissingNotesError) as info:
        extract(path, "1.2.4.dev1+g1a2b3c4")
    assert info.value.cause == (
        "CHANGES.md has no section for version 1.2.4.dev1+g1a2b3c4 (nor for 1.2.4, nor one "
        "marked unreleased); it has sections for 1.2.3."
    )
    assert "'## 1.2.4'" in info.value.fix
    assert info.value.missing == "section"


# -- Sphinx roles as Sphinx renders them ----------------------------------------------


def test_role_titles_with_commas_stay_whole() -> None:
    md = rst_to_markdown(
        "See :rfc:`RFC 3986, §4.4 <3986#section-4.4>` and :pep:`PEP 440, local versions <440#local-version-identifiers>`. "
        ":issue:`the lid, again <42>` :issue:`1, 2`",
        repo="o/r",
    )
    assert md == (
        "See [RFC 3986, §4.4](https://datatracker.ietf.org/doc/html/rfc3986#section-4.4) and "
        "[PEP 440, local versions](https://peps.python.org/pep-0440/#local-version-identifiers). "
        "[the lid, again](https://github.com/o/r/issues/42) "
        "[#1](https://github.com/o/r/issues/1), [#2](https://github.com/o/r/issues/2)\n"
    )


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (":class:`~flask.Flask`", "`Flask`"),
        (":class:`.Flask`", "`Flask`"),  # a leading dot only changes the lookup
        (":meth:`.Flask.run`", "`Flask.run()`"),
        (":meth:`~.Flask.run`", "`run()`"),
        (":py:func:`~flask.json.dumps`", "`dumps()`"),
        (":func:`!removed.helper`", "`removed.helper()`"),  # ! only turns the link off
        (":func:`helper()`", "`helper()`"),
        (":attr:`Flask.config <flask.Flask.config>`", "`Flask.config`"),
    ],
)
def test_cross_reference_titles(role: str, shown: str) -> None:
    assert rst_to_markdown(role) == shown + "\n"


# -- the notes command ---------------------------------------------------------------


def test_notes_command_prints_markdown_and_sets_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(LOGS / "pallets-CHANGES.rst", tmp_path / "CHANGES.rst")
    monkeypatch.chdir(tmp_path)
    result = run_cli(["notes", "--version", "v3.1.3", "--output", "notes.md"], capsys, tmp_path,
                     env={"GITHUB_REPOSITORY": REPO})  # fmt: skip
    assert result.code == 0, result.text
    assert "[#901](https://github.com/pallets/teapot/pull/901)" in result.out
    assert (tmp_path / "notes.md").read_text() == result.out
    assert result.outputs["notes"] == result.out
    assert result.outputs["changelog"] == "CHANGES.rst"


def test_notes_for_an_unreleased_section_warns_or_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = str(LOGS / "pallets-CHANGES.rst")
    warned = run_cli(["notes", "--version", "3.2.0", log], capsys, tmp_path)
    assert warned.code == 0
    assert "::warning title=Unreleased change log section::" in warned.out
    failed = run_cli(["notes", "--version", "3.2.0", "--require-released", log,
                      "--output", str(tmp_path / "n.md")], capsys, tmp_path)  # fmt: skip
    assert failed.code == 1
    assert (
        "::error title=Change log problem::pallets-CHANGES.rst: the section for 3.2.0 is still marked unreleased."
        in failed.out
    )
    assert not (tmp_path / "n.md").exists()


def test_notes_for_a_missing_version_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(["notes", "--version", "4.0", str(LOGS / "keepachangelog.md")], capsys, tmp_path,
                     on_runner=False)  # fmt: skip
    assert result.code == 1
    assert (
        "has no section for version 4.0; it has sections for Unreleased, 1.2.3, 1.2.2."
        in result.err
    )
    assert result.out == ""


def test_notes_rejects_a_bad_repo_and_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = str(LOGS / "keepachangelog.md")
    assert (
        run_cli(["notes", "--version", "1.2.3", "--repo", "nope", log], capsys, tmp_path).code == 2
    )
    bad = run_cli(["notes", "--version", "banana", log], capsys, tmp_path, on_runner=False)
    assert bad.code == 1
    assert "'banana' is not a release tag" in bad.err


def test_notes_for_a_development_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "CHANGES.rst").write_text(DEV_LOG)
    monkeypatch.chdir(tmp_path)
    # What the check template runs on a pull request of a setuptools-scm project.
    result = run_cli(["notes", "--version", "3.1.4.dev2+g1a2b3c4"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert result.outputs["notes"] == "- Brew faster.\n"
    assert (
        "3.1.4.dev2+g1a2b3c4 is a development version: using the section 'Version 3.2.0' of CHANGES.rst"
        in result.err
    )
    assert "::warning" not in result.out  # a dev version is expected to be unreleased


def test_notes_for_a_development_version_without_a_section_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "NEWS.rst").write_text(
        ".. towncrier release notes start\n\n1.2.3 (2026-11-20)\n==================\n\n- Fixed.\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli(["notes", "--version", "1.2.4.dev0", "--output", "n.md"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert (
        "::warning title=No change log section yet::NEWS.rst has no section for version 1.2.4.dev0"
        in result.out
    )
    assert result.outputs["notes"] == ""
    assert (tmp_path / "n.md").read_text() == ""
    # A release version without its section is still a failed check.
    failed = run_cli(["notes", "--version", "1.2.4", "--output", "m.md"], capsys, tmp_path)
    assert failed.code == 1
    assert (
        "::error title=Change log problem::NEWS.rst has no section for version 1.2.4" in failed.out
    )
    assert not (tmp_path / "m.md").exists()


def test_notes_without_a_change_log_names_its_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["notes", "--version", "1.2.4.dev0"], capsys, tmp_path, on_runner=False)
    assert result.code == 1
    assert "No change log found (looked for CHANGES.rst, CHANGES.md," in result.err
    assert "Pass the change log's path as the CHANGELOG argument" in result.err
