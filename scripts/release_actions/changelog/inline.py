"""The inline pass of the reST renderer: literals, links, references and Sphinx roles.

The roles change logs use are data (``LINK_ROLES``): a new one is a line in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..markdown import code, link, no_html

_INLINE = re.compile(
    r"(?P<literal>``(?P<literal_text>.+?)``)"
    r"|(?P<role>(?<![\w`]):(?P<role_name>[a-zA-Z][\w.+-]*(?::[a-zA-Z][\w.+-]*)?):`(?P<role_text>[^`]+)`)"
    r"|(?P<link>`(?P<link_text>[^`]*?)\s*<(?P<link_url>[^`>]+)>`__?)"
    r"|(?P<ref>`(?P<ref_text>[^`]+)`__?(?!\w))"
    r"|(?P<word_ref>(?<![\w`])(?P<word_ref_text>[A-Za-z][\w.-]*)__?(?![\w`]))"
    r"|(?P<interpreted>(?<![\w`])`(?P<interpreted_text>[^`]+)`(?![\w`_]))"
)

# Sphinx's cross-reference roles: shown as code, never linked (the docs are not here).
CODE_ROLES = frozenset({
    "func", "meth", "class", "attr", "exc", "mod", "data", "obj", "const", "type",
    "envvar", "option", "file", "samp", "program", "command", "code", "literal", "kbd",
    "makevar", "any",
})  # fmt: skip
CALLABLE_ROLES = frozenset({"func", "meth"})


@dataclass(frozen=True)
class LinkRole:
    """A role that becomes a link (sphinx-issues' and Sphinx's own), as data.

    ``label`` and ``url`` are format strings over the role's target: ``{target}``,
    ``{short}`` (its first 7 characters), ``{upper}``, ``{other}`` (what comes before the
    separator of an ``OWNER/REPO#1`` target, else nothing), ``{number}`` and ``{anchor}``
    (``8#id`` → ``8`` and ``#id``; ``{n}`` is the number as an int), ``{server}`` and
    ``{repo_url}`` (the server, and the repository on it: no link without one).
    """

    label: str
    url: str
    valid: str = ""  # what the target (its number, if numbered) must be for a link
    prefix: str = ""  # a target given without it gets it (GHSA-, CVE-), any case
    strip_prefix: str = ""  # a target given with it loses it (CWE-), upper-cased
    elsewhere: str = ""  # "#" or "@": OWNER/REPO<sep>target points at another repository
    numbered: bool = False  # NUMBER[#anchor]
    listable: bool = True  # sphinx-issues: "1, 2" is two links; Sphinx's :pep: is one


LINK_ROLES: dict[str, LinkRole] = {
    "issue": LinkRole("{other}#{target}", "{repo_url}/issues/{target}", r"[0-9]+", elsewhere="#"),
    "pr": LinkRole("{other}#{target}", "{repo_url}/pull/{target}", r"[0-9]+", elsewhere="#"),
    "ghsa": LinkRole("{target}", "{repo_url}/security/advisories/{target}",
                     r"(?i:GHSA(-[0-9a-z]{4}){3})", prefix="GHSA-"),
    "user": LinkRole("@{target}", "{server}/{target}", r"[\w-]+"),
    "commit": LinkRole("{short}", "{repo_url}/commit/{target}", r"[0-9a-f]{4,40}", elsewhere="@"),
    "cve": LinkRole("{upper}", "https://www.cve.org/CVERecord?id={upper}", prefix="CVE-"),
    "cwe": LinkRole("CWE-{target}", "https://cwe.mitre.org/data/definitions/{target}.html",
                    r"[0-9]+", strip_prefix="CWE-"),
    "pep": LinkRole("PEP {number}", "https://peps.python.org/pep-{n:04d}/{anchor}", r"[0-9]+",
                    numbered=True, listable=False),
    "rfc": LinkRole("RFC {number}", "https://datatracker.ietf.org/doc/html/rfc{n}{anchor}",
                    r"[0-9]+", numbered=True, listable=False),
}  # fmt: skip
_REPO = re.compile(r"[\w.-]+/[\w.-]+")


def _xref_title(target: str, *, callable_: bool) -> str:
    """What Sphinx shows for a cross reference without an explicit title.

    ``!`` turns the link off and shows the rest as written; otherwise a leading dot
    only changes where the target is looked up, so it is not shown, and ``~`` shows
    the last component alone (``~.Flask.run`` shows ``run``). Functions and methods
    get ``()``.
    """
    if target.startswith("!"):
        shown = target[1:]
    else:
        shown = target.lstrip(".")
        if shown.startswith("~"):
            shown = shown[1:].rsplit(".", 1)[-1]
    if callable_:
        shown = shown.removesuffix("()") + "()"
    return shown


def ref_key(name: str) -> str:
    return " ".join(name.lower().split())


class Inline:
    """The inline pass over one paragraph of reST: literals, links, references, roles."""

    def __init__(self, repo: str | None, server: str, targets: dict[str, str]) -> None:
        self.repo = repo
        self.server = server
        self.targets = targets

    def convert(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        for m in _INLINE.finditer(text):
            out.append(no_html(text[pos : m.start()]))
            out.append(self._token(m))
            pos = m.end()
        out.append(no_html(text[pos:]))
        return "".join(out)

    def _token(self, m: re.Match[str]) -> str:
        if m.group("literal"):
            return code(m.group("literal_text"))
        if m.group("role"):
            return self.role(m.group("role_name"), m.group("role_text"))
        if m.group("link"):
            url = "".join(m.group("link_url").split())
            label = " ".join(m.group("link_text").split()) or url
            return link(label, url)
        if m.group("ref") or m.group("word_ref"):
            label = " ".join(str(m.group("ref_text") or m.group("word_ref_text")).split())
            target = self.targets.get(ref_key(label))
            return link(label, target) if target else no_html(label)
        return code(m.group("interpreted_text"))

    # -- roles --------------------------------------------------------------------

    def role(self, name: str, text: str) -> str:
        name = name.lower()
        short = name.split(":")[-1]
        text = " ".join(text.split())
        kind = LINK_ROLES.get(short)
        if kind is not None:
            # An explicit title is one link whatever it holds.
            if not kind.listable or _split_title(text)[0] is not None:
                return self._link_role(kind, text)
            parts = [p.strip() for p in text.split(",") if p.strip()]
            return ", ".join(self._link_role(kind, p) for p in parts)
        title, target = _split_title(text)
        if name.startswith("py:") or name in CODE_ROLES:
            if title is not None:
                return code(title)
            return code(_xref_title(target, callable_=short in CALLABLE_ROLES))
        # A role we do not know: its text, never the raw markup.
        shown = title if title is not None else target.lstrip("~!")
        return no_html(shown)

    def _link_role(self, kind: LinkRole, value: str) -> str:
        title, target = _split_title(value)
        repo, other = self.repo, ""
        if kind.elsewhere and kind.elsewhere in target:
            other, _, target = target.partition(kind.elsewhere)
            if _REPO.fullmatch(other):
                repo = other
        if kind.prefix and not target.upper().startswith(kind.prefix):
            target = kind.prefix + target
        if kind.strip_prefix:
            target = target.upper().removeprefix(kind.strip_prefix)
        number, anchor = target.partition("#")[::2] if kind.numbered else (target, "")
        fields = {
            "target": target, "short": target[:7], "upper": target.upper(),
            "other": other, "number": number, "anchor": f"#{anchor}" if anchor else "",
            "server": self.server, "repo_url": f"{self.server}/{repo}" if repo else "",
        }  # fmt: skip
        label = title if title is not None else kind.label.format(**fields)
        linkable = (not kind.valid or re.fullmatch(kind.valid, number)) and (
            repo or "{repo_url}" not in kind.url
        )
        if not linkable:
            return no_html(label)
        return link(label, kind.url.format(n=int(number) if kind.numbered else 0, **fields))


def _split_title(text: str) -> tuple[str | None, str]:
    """Sphinx's explicit title syntax: ``title <target>``."""
    m = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", text)
    if m and m.group(1):
        return m.group(1), m.group(2).strip()
    return None, text.strip()
