"""The link roles are data: every entry of the table, with and without a repository."""

from __future__ import annotations

import pytest

from release_actions.changelog import rst_to_markdown
from release_actions.changelog.inline import LINK_ROLES

R = "https://github.com/o/r"
EXAMPLES = {
    # role: (target, Markdown with repository o/r, Markdown without a repository)
    "issue": ("12", f"[#12]({R}/issues/12)", "#12"),
    "pr": ("other/repo#3", "[other/repo#3](https://github.com/other/repo/pull/3)",
           "[other/repo#3](https://github.com/other/repo/pull/3)"),
    "ghsa": ("abcd-efgh-ijkl", f"[GHSA-abcd-efgh-ijkl]({R}/security/advisories/GHSA-abcd-efgh-ijkl)",
             "GHSA-abcd-efgh-ijkl"),
    "user": ("octo-cat", "[@octo-cat](https://github.com/octo-cat)", "[@octo-cat](https://github.com/octo-cat)"),
    "commit": ("0123456789abcdef", f"[0123456]({R}/commit/0123456789abcdef)", "0123456"),
    "cve": ("2024-1234", "[CVE-2024-1234](https://www.cve.org/CVERecord?id=CVE-2024-1234)",
            "[CVE-2024-1234](https://www.cve.org/CVERecord?id=CVE-2024-1234)"),
    "cwe": ("cwe-79", "[CWE-79](https://cwe.mitre.org/data/definitions/79.html)",
            "[CWE-79](https://cwe.mitre.org/data/definitions/79.html)"),
    "pep": ("8#naming", "[PEP 8](https://peps.python.org/pep-0008/#naming)",
            "[PEP 8](https://peps.python.org/pep-0008/#naming)"),
    "rfc": ("0822", "[RFC 0822](https://datatracker.ietf.org/doc/html/rfc822)",
            "[RFC 0822](https://datatracker.ietf.org/doc/html/rfc822)"),
}  # fmt: skip


def test_every_link_role_has_an_example() -> None:
    assert set(EXAMPLES) == set(LINK_ROLES)


@pytest.mark.parametrize("role", sorted(EXAMPLES))
def test_link_roles(role: str) -> None:
    target, with_repo, without = EXAMPLES[role]
    assert rst_to_markdown(f":{role}:`{target}`", repo="o/r") == with_repo + "\n"
    assert rst_to_markdown(f":{role}:`{target}`") == without + "\n"


def test_a_title_a_list_and_a_target_that_is_not_a_number() -> None:
    assert rst_to_markdown(":issue:`the bug <12>`", repo="o/r") == f"[the bug]({R}/issues/12)\n"
    assert rst_to_markdown(":issue:`1, 2`", repo="o/r") == (
        f"[#1]({R}/issues/1), [#2]({R}/issues/2)\n"
    )
    assert rst_to_markdown(":pep:`1, 2`") == "PEP 1, 2\n"  # Sphinx's :pep: is never a list
    # Digits of another script are no issue number (they made links such as /issues/١٢).
    assert rst_to_markdown(":issue:`١٢`", repo="o/r") == "#١٢\n"
    assert rst_to_markdown(":pep:`٨`") == "PEP ٨\n"
