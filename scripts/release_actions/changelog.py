"""Release notes from a project's change log.

Finds the change log, picks the section of one version and renders it as
GitHub Markdown. Understands the reStructuredText style of the Pallets
projects (``Version 3.1.3`` underlined, then ``Released 2026-02-18`` or
``Unreleased``), towncrier and packaging-style reST headings
(``25.0 - 2025-04-19``), Keep a Changelog Markdown (``## [1.2.3] - 2026-01-01``)
and plain ``## 1.2.3`` headings.

reST is converted with a small block parser (paragraphs, bullet and
enumerated lists with nesting, literal blocks, directives) and an inline
pass: ````code```` becomes a code span, ```text <url>`_`` a Markdown link,
and the Sphinx roles change logs use (``:issue:``, ``:pr:``, ``:ghsa:``,
``:user:``, ``:commit:``, ``:cve:``, ``:pep:`` …) become links; roles it does
not know become their plain text. Wrapped lines are joined, because GitHub
renders a single newline in a release body as a line break.

A leaf module: it imports nothing of ours but the errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from .errors import ChangelogError, InputError
from .markdown import code, link, no_html
from .versions import VERSION_IN_TEXT, names_of, parsed

# The names looked for, in this order (any letter case): NEWS.* is towncrier's default.
CANDIDATES = (
    "CHANGES.rst",
    "CHANGES.md",
    "CHANGELOG.rst",
    "CHANGELOG.md",
    "NEWS.rst",
    "NEWS.md",
    "HISTORY.rst",
    "HISTORY.md",
    "CHANGES.txt",
    "CHANGELOG.txt",
    "NEWS.txt",
    "HISTORY.txt",
    "CHANGES",
    "CHANGELOG",
    "NEWS",
    "HISTORY",
)
# Looked in after the project's root, for projects that keep the change log with the docs.
DOC_FOLDERS = ("docs", "doc")
DEFAULT_SERVER = "https://github.com"
FIX_NO_CHANGELOG = (
    "Pass the change log's path, or add a CHANGES.rst or CHANGES.md with a section per version."
)


class MissingNotesError(ChangelogError):
    """No change log, or no section for the version: the release page can fall back."""

    def __init__(self, cause: str, fix: str, *, missing: str) -> None:
        super().__init__(cause, fix)
        self.missing = missing  # "changelog" or "section"


# -- finding -------------------------------------------------------------------


def _first_candidate(directory: Path) -> Path | None:
    try:
        present = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    except FileNotFoundError:
        return None
    for name in CANDIDATES:
        found = present.get(name.lower())
        if found is not None:
            return found
    return None


def looked_for(directory: Path) -> str:
    """Exactly what find_changelog looks for, in words."""
    folders = " and ".join(f"{f}/" for f in DOC_FOLDERS)
    return f"{', '.join(CANDIDATES)} in '{directory}', then in its {folders}"


def find_changelog(directory: Path, fix: str = FIX_NO_CHANGELOG) -> Path:
    """The project's change log: the first of CANDIDATES (any letter case) in ``directory``,
    else in one of its DOC_FOLDERS. ``fix`` says how the caller's user passes a path."""
    try:
        found = _first_candidate(directory)
        for folder in DOC_FOLDERS:
            if found is None and (directory / folder).is_dir():
                found = _first_candidate(directory / folder)
    except OSError as exc:
        raise InputError(
            f"Cannot read the directory '{directory}': {exc.strerror}.",
            "Run the command from the project's root or pass the change log's path.",
        ) from None
    if found is None:
        raise MissingNotesError(
            f"No change log found (looked for {looked_for(directory)}).", fix, missing="changelog"
        )
    return found


# -- sections ------------------------------------------------------------------

# What may follow the version in a heading: nothing, a date, a parenthesis, a dash, a colon.
_TAIL = r"(?:\s*(?:[-\u2013\u2014:,(]|released\b|unreleased\b).*)?"
_VERSION_TITLE = re.compile(
    rf"^(?:(?:version|release|v)\s+)?\[?{VERSION_IN_TEXT}\]?{_TAIL}$", re.VERBOSE | re.IGNORECASE
)
# towncrier's "{name} {version} ({date})"
_GLUED_DATE = re.compile(r"(?<=[0-9])-(?=[0-9]{4}-[0-9]{2}-[0-9]{2}\b)")
_NAMED_TITLE = re.compile(
    rf"^[A-Za-z][\w.-]*\s+{VERSION_IN_TEXT}(?:\s*\(.*\))?$", re.VERBOSE | re.IGNORECASE
)
_UNRELEASED_TITLE = re.compile(
    r"^\[?(?:unreleased|upcoming|in development|development|dev|next)\]?\s*$", re.IGNORECASE
)
_UNRELEASED = re.compile(
    r"\b(?:unreleased|not yet released|in development|tbd|tba)\b", re.IGNORECASE
)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_RELEASED_LINE = re.compile(r"^\s*(?:released|release date)\b\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
_UNRELEASED_LINE = re.compile(r"^\s*(?:unreleased|not (?:yet )?released)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    line: int  # index of the title line
    end: int  # index of the first line after the heading's adornment
    level: int
    title: str


@dataclass
class Section:
    """One version's part of the change log."""

    version: str  # as written in the heading ("" for a Keep a Changelog [Unreleased])
    title: str
    released: bool | None  # True: a date or "Released"; False: marked unreleased; None: unknown
    date: str | None
    body: list[str]  # source lines after the heading (and after a Released/Unreleased line)


@dataclass
class Changelog:
    path: Path
    kind: str  # "rst" or "md"
    sections: list[Section]
    text: str
    rst_targets: dict[str, str] = field(default_factory=dict)
    md_definitions: dict[str, str] = field(default_factory=dict)

    def versions(self) -> list[str]:
        return [s.version or "Unreleased" for s in self.sections]

    def section(self, version: str | Version) -> Section | None:
        # As for tags and milestones: the version as written wins over an equal spelling.
        found = names_of((s.version for s in self.sections if s.version), version)
        return next((s for s in self.sections if found and s.version == found[0]), None)

    def section_for(self, version: str | Version) -> tuple[Section | None, str]:
        """The section that describes ``version``, and how it was chosen ("" when exact).

        A development or local version (``3.2.0.dev0``, ``0.1.dev1+g1a2b3c4`` from
        setuptools-scm or hatch-vcs) is never released as it is: its notes are those of
        the version it leads to (``3.2.0``) while that is not marked released, else the
        topmost section still marked unreleased ("Unreleased", "Version 3.2.0 /
        Unreleased"). A released section of the base version is never taken: a shallow
        checkout guesses ``0.1.dev1`` whatever the project's real version is.
        """
        exact = self.section(version)
        wanted = version if isinstance(version, Version) else parsed(str(version))
        if exact is not None or wanted is None:
            return exact, ""
        if wanted.local is not None and not wanted.is_devrelease:
            public = self.section(wanted.public)
            return public, f"the section for {wanted.public}" if public else ""
        if not wanted.is_devrelease:
            return None, ""
        candidates = [wanted.public.split(".dev")[0], wanted.base_version]
        for candidate in dict.fromkeys(candidates):
            found = self.section(candidate)
            if found is not None and found.released is not True:
                return found, f"the section for {found.version}"
        unreleased = next((s for s in self.sections if s.released is False), None)
        if unreleased is not None:
            return unreleased, f"the section '{_plain_title(unreleased.title)}'"
        return None, ""


@dataclass(frozen=True)
class Notes:
    """The rendered notes of one version."""

    version: str
    title: str
    released: bool | None
    date: str | None
    markdown: str
    source: Path
    chosen: str = ""  # how a dev or local version's section was chosen; "" when exact


def _version_of_title(title: str) -> str | None:
    """The version a heading names, as written there (without a leading "v")."""
    # "1.2.3-2024-01-01": PEP 440 would read "1.2.3-2024" as a post-release; it is a date.
    plain = _GLUED_DATE.sub(" - ", _plain_title(title))
    for pattern in (_VERSION_TITLE, _NAMED_TITLE):
        m = pattern.match(plain)
        if m and parsed(m.group("version")) is not None:
            return m.group("version").removeprefix("v").removeprefix("V")
    return None


def _plain_title(title: str) -> str:
    """A heading's text without Markdown links, emphasis or code marks."""
    # No bracket or parenthesis inside the parts: each match attempt stops at the
    # next one, so a heading of 30,000 '[' costs linear time, not quadratic.
    text = re.sub(r"\[([^\[\]]*)\]\([^()]*\)", r"\1", title)  # [1.2.3](url)
    text = re.sub(r"\[([^\[\]]*)\]\[[^\[\]]*\]", r"\1", text)  # [1.2.3][ref]
    return text.replace("`", "").replace("*", "").strip()


_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")


def _rst_headings(lines: Sequence[str]) -> list[Heading]:
    styles: list[tuple[str, bool]] = []
    found: list[Heading] = []
    i = 0
    while i < len(lines) - 1:
        line = lines[i]
        over = _ADORNMENT.match(line)
        if (
            over
            and i + 2 < len(lines)
            and lines[i + 1].strip()
            and lines[i + 2].strip() == line.strip()
        ):
            style = (over.group(1), True)
            title, end = lines[i + 1].strip(), i + 3
        elif (
            line.strip()
            and not line[0].isspace()
            and (under := _ADORNMENT.match(lines[i + 1]))
            and len(lines[i + 1].rstrip()) >= len(line.rstrip())
            and (i == 0 or not lines[i - 1].strip() or _ADORNMENT.match(lines[i - 1]))
        ):
            style = (under.group(1), False)
            title, end = line.strip(), i + 2
        else:
            i += 1
            continue
        if style not in styles:
            styles.append(style)
        found.append(Heading(i, end, styles.index(style) + 1, title))
        i = end
    return found


# The closing "#"s and the padding are stripped in Python (_atx_title): a lazy
# group before optional trailing blanks made this regex quadratic in the padding.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t](.*))?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _atx_title(text: str) -> str:
    """An ATX heading's text without its optional closing sequence of '#'s."""
    text = text.strip(" \t")
    bare = text.rstrip("#")
    if not bare or bare[-1] in " \t":
        text = bare
    return text.strip()


def _md_headings(lines: Sequence[str]) -> list[Heading]:
    found: list[Heading] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        fm = _FENCE.match(line)
        if fm:
            if fence is None:
                fence = fm.group(1)[0]
            elif fm.group(1)[0] == fence:
                fence = None
            continue
        if fence is not None:
            continue
        m = _ATX.match(line)
        if m:
            found.append(Heading(i, i + 1, len(m.group(1)), _atx_title(m.group(2) or "")))
        elif (
            i + 1 < len(lines)
            and line.strip()
            and not line.startswith((" ", "\t", "-", "*", "+", ">"))
            and (s := _SETEXT.match(lines[i + 1]))
            and (i == 0 or not lines[i - 1].strip())
        ):
            found.append(Heading(i, i + 2, 1 if s.group(1)[0] == "=" else 2, line.strip()))
    # setext headings were recorded at their title line; drop any ATX match on an underline
    return found


def _is_markdown(path: Path, text: str) -> bool:
    if path.suffix.lower() in (".md", ".markdown"):
        return True
    if path.suffix.lower() == ".rst":
        return False
    return bool(re.search(r"^#{1,6} ", text, re.MULTILINE))


_RST_TARGET = re.compile(r"^\.\.\s+_(?P<name>[^:]+|`[^`]+`):\s*(?P<url>\S+)\s*$")
_MD_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*(?P<url>\S+)(?:\s+.*)?$")


def read_changelog(path: Path) -> Changelog:
    """Parse a change log into its version sections."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such file.", "Pass the path of the project's change log."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(
            f"Cannot read '{path}': {reason}.", "Pass a UTF-8 text change log."
        ) from None
    lines = text.expandtabs(4).splitlines()
    kind = "md" if _is_markdown(path, text) else "rst"
    headings = _md_headings(lines) if kind == "md" else _rst_headings(lines)
    log = Changelog(path, kind, [], text)
    if kind == "rst":
        for line in lines:
            if m := _RST_TARGET.match(line):
                log.rst_targets[_ref_key(m.group("name").strip("`"))] = m.group("url")
    else:
        for line in lines:
            if m := _MD_DEFINITION.match(line):
                log.md_definitions.setdefault(m.group("label").lower(), m.group("url"))

    level = next(
        (
            h.level
            for h in headings
            if _version_of_title(h.title) or _UNRELEASED_TITLE.match(_plain_title(h.title))
        ),
        None,
    )
    if level is None:
        return log
    tops = [h for h in headings if h.level <= level]
    for n, h in enumerate(tops):
        if h.level != level:
            continue
        stop = tops[n + 1].line if n + 1 < len(tops) else len(lines)
        version = _version_of_title(h.title)
        unreleased_title = _UNRELEASED_TITLE.match(_plain_title(h.title))
        if version is None and not unreleased_title:
            continue
        body = lines[h.end : stop]
        released: bool | None = None
        date = None
        tail = _plain_title(h.title)
        if unreleased_title or _UNRELEASED.search(tail.split(version or "", 1)[-1]):
            released = False
        elif dm := _DATE.search(tail):
            released, date = True, dm.group(1)
        # The first paragraph may be the Pallets "Released 2024-11-13" / "Unreleased" line.
        first = next((k for k, line in enumerate(body) if line.strip()), None)
        if first is not None:
            line = body[first]
            if _UNRELEASED_LINE.match(line):
                released = False
                body = body[first + 1 :]
            elif rm := _RELEASED_LINE.match(line):
                rest = rm.group("rest")
                if _UNRELEASED.search(rest):
                    released = False
                else:
                    released = True
                    dm = _DATE.search(rest)
                    date = dm.group(1) if dm else date
                body = body[first + 1 :]
        log.sections.append(Section(version or "", h.title, released, date, body))
    return log


def extract(
    path: Path,
    version: str | Version,
    *,
    repo: str | None = None,
    server_url: str = DEFAULT_SERVER,
) -> Notes:
    """The notes of ``version`` from the change log at ``path``, as GitHub Markdown."""
    log = read_changelog(path)
    section, chosen = log.section_for(version)
    if section is None:
        found = log.versions()
        shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
        wanted = parsed(str(version))
        dev = wanted is not None and (wanted.is_devrelease or wanted.local is not None)
        raise MissingNotesError(
            f"{path.name} has no section for version {version}"
            + (
                f" (nor for {wanted.base_version}, nor one marked unreleased)"
                if dev and wanted
                else ""
            )
            + (
                f"; it has sections for {shown}."
                if found
                else "; it has no version sections at all."
            ),
            "Add a section for the version (a heading such as 'Version "
            f"{wanted.base_version if dev and wanted else version}' or "
            f"'## {wanted.base_version if dev and wanted else version}') before releasing it.",
            missing="section",
        )
    if log.kind == "rst":
        markdown = rst_to_markdown(
            section.body, repo=repo, server_url=server_url, targets=log.rst_targets
        )
    else:
        markdown = _md_body(section.body, log.md_definitions)
    return Notes(
        section.version, section.title, section.released, section.date, markdown, path, chosen
    )


# -- Markdown sections ------------------------------------------------------------


def _md_body(body: Sequence[str], definitions: dict[str, str]) -> str:
    kept = [line for line in body if not _MD_DEFINITION.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept).strip("\n"))
    # Reference-style links need their definitions, which usually sit at the end of the file.
    used = {m.lower() for m in re.findall(r"\]\[([^\]]+)\]", text)}
    # A label holds no '[': each attempt stops at the next one (linear, not quadratic).
    used |= {m.lower() for m in re.findall(r"\[([^\[\]]+)\](?![\[(:])", text)}
    refs = [f"[{label}]: {definitions[label]}" for label in sorted(used) if label in definitions]
    if refs:
        text += "\n\n" + "\n".join(refs)
    return text + "\n" if text else ""


# -- reStructuredText to Markdown ------------------------------------------------


@dataclass
class _Para:
    lines: list[str]


@dataclass
class _Literal:
    lines: list[str]
    language: str = ""


@dataclass
class _Title:
    text: str
    level: int


@dataclass
class _Item:
    marker: str  # "-" or "1."
    blocks: list[_Block]


@dataclass
class _List:
    items: list[_Item]


_Block = _Para | _Literal | _Title | _List

_BULLET = re.compile(r"^([-*+\u2022])( +|$)")
_ENUM = re.compile(r"^(\d+|#|[a-zA-Z])([.)])( +|$)|^\((\d+|#|[a-zA-Z])\)( +|$)")
_ADMONITION_LABELS = {
    "versionadded": "Added",
    "versionchanged": "Changed",
    "deprecated": "Deprecated",
    "seealso": "See also",
}
_DIRECTIVE = re.compile(r"^\.\.\s+(?P<name>[\w:-]+)::\s*(?P<arg>.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dedent(lines: Sequence[str], n: int) -> list[str]:
    return [line[n:] if line[:n].strip() == "" else line.lstrip(" ") for line in lines]


def _indented_block(lines: Sequence[str], start: int, min_indent: int = 1) -> int:
    """Index after the block of blank lines and lines indented at least ``min_indent``."""
    i = start
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= min_indent):
        i += 1
    while i > start and not lines[i - 1].strip():
        i -= 1
    return i


def _parse(lines: Sequence[str]) -> list[_Block]:
    blocks: list[_Block] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        indent = _indent(line)
        if indent:  # a block quote: its contents, without the quoting
            end = i
            while end < n and (not lines[end].strip() or _indent(lines[end]) > 0):
                end += 1
            sub = list(lines[i:end])
            blocks += _parse(_dedent(sub, min(_indent(s) for s in sub if s.strip())))
            i = end
            continue
        bullet = _BULLET.match(line)
        enum = None if bullet else _ENUM.match(line)
        if bullet or (enum and (enum.group(3) or enum.group(5))):
            marker_match = bullet or enum
            assert marker_match is not None
            width = len(marker_match.group(0))
            if not marker_match.group(0).endswith(" "):
                width += 1
            end = i + 1
            while end < n and (not lines[end].strip() or _indent(lines[end]) >= width):
                end += 1
            while end > i + 1 and not lines[end - 1].strip():
                end -= 1
            item_lines = [line[width:], *_dedent(lines[i + 1 : end], width)]
            item = _Item("-" if bullet else "1.", _parse(item_lines))
            if (
                blocks
                and isinstance(blocks[-1], _List)
                and blocks[-1].items[0].marker == item.marker
            ):
                blocks[-1].items.append(item)
            else:
                blocks.append(_List([item]))
            i = end
            continue
        directive = _DIRECTIVE.match(line)
        if line.startswith(".. ") or line.strip() == "..":
            end = _indented_block(lines, i + 1)
            content = [s for s in lines[i + 1 : end]]
            if directive:
                name = directive.group("name").lower()
                arg = directive.group("arg").strip()
                options_end = 0
                while options_end < len(content) and content[options_end].strip().startswith(":"):
                    options_end += 1
                body = content[options_end:]
                base = min((_indent(s) for s in body if s.strip()), default=0)
                body = _dedent(body, base)
                while body and not body[0].strip():
                    body = body[1:]
                if name in ("code-block", "code", "sourcecode"):
                    blocks.append(_Literal(body, arg.split()[0] if arg else ""))
                elif name in ("note", "warning", "important", "tip", "caution", "danger",
                              "attention", "hint", "versionadded", "versionchanged",
                              "deprecated", "admonition", "seealso"):  # fmt: skip
                    label = _ADMONITION_LABELS.get(name, name.capitalize())
                    lead = f"**{label}:** {arg}".rstrip() if name != "admonition" else f"**{arg}**"
                    inner = _parse(body)
                    if inner and isinstance(inner[0], _Para):
                        inner[0].lines.insert(0, lead)
                    else:
                        inner.insert(0, _Para([lead]))
                    blocks += inner
                # other directives (currentmodule, include, toctree, ...) render nothing
            # comments and link targets render nothing either
            i = end
            continue
        # a paragraph: up to a blank line
        end = i
        while end < n and lines[end].strip() and (end == i or _indent(lines[end]) == 0):
            end += 1
        para = [s.strip() for s in lines[i:end]]
        literal_follows = para[-1].endswith("::")
        if literal_follows:
            last = para[-1]
            if last == "::":
                para.pop()
            elif last.endswith(" ::"):
                para[-1] = last[:-3].rstrip()
            else:
                para[-1] = last[:-1]
        if para:
            blocks.append(_Para(para))
        i = end
        if literal_follows:
            j = i
            while j < n and not lines[j].strip():
                j += 1
            if j < n and _indent(lines[j]) > 0:
                stop = _indented_block(lines, j)
                body = list(lines[j:stop])
                blocks.append(_Literal(_dedent(body, min(_indent(s) for s in body if s.strip()))))
                i = stop
    return blocks


def rst_to_markdown(
    lines: Sequence[str] | str,
    *,
    repo: str | None = None,
    server_url: str = DEFAULT_SERVER,
    targets: dict[str, str] | None = None,
) -> str:
    """Render a piece of reStructuredText as GitHub Markdown."""
    if isinstance(lines, str):
        lines = lines.expandtabs(4).splitlines()
    # Sub-headings inside the section (towncrier's "Bug fixes", say) become ### headings.
    headings = _rst_headings(lines)
    chunks: list[_Block] = []
    start = 0
    if headings:
        top = min(h.level for h in headings)
        for h in headings:
            chunks += _parse(lines[start : h.line])
            chunks.append(_Title(h.title, 3 + h.level - top))
            start = h.end
    chunks += _parse(lines[start:])
    inline = _Inline(repo, server_url.rstrip("/"), targets or {})
    out = _render(chunks, inline)
    return "\n".join(out).strip("\n") + "\n" if out else ""


def _render(blocks: Iterable[_Block], inline: _Inline, in_item: bool = False) -> list[str]:
    out: list[str] = []
    previous: _Block | None = None
    for block in blocks:
        # A nested list right after an item's paragraph stays tight (no blank line).
        tight = (
            in_item
            and isinstance(block, _List)
            and isinstance(previous, _Para)
            and bool(out and out[-1])
        )
        if previous is not None and not tight:
            out.append("")
        out += _render_block(block, inline)
        previous = block
    return out


def _render_block(block: _Block, inline: _Inline) -> list[str]:
    if isinstance(block, _Para):
        return [_escape_start(inline.convert(" ".join(block.lines)))]
    if isinstance(block, _Title):
        return ["#" * min(block.level, 6) + " " + inline.convert(block.text)]
    if isinstance(block, _Literal):
        body = list(block.lines)
        while body and not body[-1].strip():
            body.pop()
        fence = "```"
        while any(line.lstrip().startswith(fence) for line in body):
            fence += "`"
        return [fence + block.language, *body, fence]
    out: list[str] = []
    for number, item in enumerate(block.items, 1):
        marker = "- " if item.marker == "-" else f"{number}. "
        pad = " " * len(marker)
        rendered = _render(item.blocks, inline, in_item=True) or [""]
        out.append(marker + rendered[0])
        out += [pad + line if line else "" for line in rendered[1:]]
    return out


def _escape_start(text: str) -> str:
    """Keep a paragraph from being read as a heading, quote or list by Markdown."""
    if re.match(r"^(#{1,6}(\s|$)|>|[-+*](\s|$)|\d+[.)](\s|$))", text):
        return "\\" + text
    return text


# -- inline markup ------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<literal>``(?P<literal_text>.+?)``)"
    r"|(?P<role>(?<![\w`]):(?P<role_name>[a-zA-Z][\w.+-]*(?::[a-zA-Z][\w.+-]*)?):`(?P<role_text>[^`]+)`)"
    r"|(?P<link>`(?P<link_text>[^`]*?)\s*<(?P<link_url>[^`>]+)>`__?)"
    r"|(?P<ref>`(?P<ref_text>[^`]+)`__?(?!\w))"
    r"|(?P<word_ref>(?<![\w`])(?P<word_ref_text>[A-Za-z][\w.-]*)__?(?![\w`]))"
    r"|(?P<interpreted>(?<![\w`])`(?P<interpreted_text>[^`]+)`(?![\w`_]))"
)

_CODE_ROLES = {
    "func", "meth", "class", "attr", "exc", "mod", "data", "obj", "const", "type",
    "envvar", "option", "file", "samp", "program", "command", "code", "literal", "kbd",
    "makevar", "any",
}  # fmt: skip
_CALLABLE_ROLES = {"func", "meth"}
_LINK_ROLES = {"issue", "pr", "ghsa", "user", "commit", "cve", "cwe", "pep", "rfc"}


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


def _ref_key(name: str) -> str:
    return " ".join(name.lower().split())


class _Inline:
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
            target = self.targets.get(_ref_key(label))
            return link(label, target) if target else no_html(label)
        return code(m.group("interpreted_text"))

    # -- roles --------------------------------------------------------------------

    def role(self, name: str, text: str) -> str:
        name = name.lower()
        short = name.split(":")[-1]
        text = " ".join(text.split())
        if short in _LINK_ROLES:
            # sphinx-issues' roles take a comma-separated list ("1, 2"), but an explicit
            # title is one link whatever it holds; Sphinx's own :pep: and :rfc: never split.
            if short in ("pep", "rfc") or _split_title(text)[0] is not None:
                return self._link_role(short, text)
            parts = [p.strip() for p in text.split(",") if p.strip()]
            return ", ".join(self._link_role(short, p) for p in parts)
        title, target = _split_title(text)
        if name.startswith("py:") or name in _CODE_ROLES:
            if title is not None:
                return code(title)
            return code(_xref_title(target, callable_=short in _CALLABLE_ROLES))
        # A role we do not know: its text, never the raw markup.
        shown = title if title is not None else target.lstrip("~!")
        return no_html(shown)

    def _link_role(self, role: str, value: str) -> str:
        title, target = _split_title(value)
        repo = self.repo
        if role in ("issue", "pr") and "#" in target:
            other, _, target = target.partition("#")
            if re.fullmatch(r"[\w.-]+/[\w.-]+", other):
                repo = other
            default = f"{other}#{target}"
        elif role in ("issue", "pr"):
            default = f"#{target}"
        elif role == "ghsa":
            target = target if target.upper().startswith("GHSA-") else f"GHSA-{target}"
            default = target
        elif role == "user":
            default = f"@{target}"
        elif role == "commit":
            if "@" in target:  # sphinx-issues' "owner/repo@sha"
                other, _, target = target.partition("@")
                if re.fullmatch(r"[\w.-]+/[\w.-]+", other):
                    repo = other
            default = target[:7]
        elif role == "cve":
            target = target if target.upper().startswith("CVE-") else f"CVE-{target}"
            default = target.upper()
        elif role == "cwe":
            target = target.upper().removeprefix("CWE-")
            default = f"CWE-{target}"
        elif role == "pep":
            number = target.split("#")[0]
            default = f"PEP {number}"
        else:  # rfc
            number = target.split("#")[0]
            default = f"RFC {number}"
        label = title if title is not None else default
        url = self._url(role, target, repo)
        return link(label, url) if url else no_html(label)

    def _url(self, role: str, target: str, repo: str | None) -> str | None:
        if role == "cve":
            return f"https://www.cve.org/CVERecord?id={target.upper()}"
        if role == "cwe":
            return (
                f"https://cwe.mitre.org/data/definitions/{target}.html"
                if target.isdigit()
                else None
            )
        if role == "pep":
            number, _, anchor = target.partition("#")
            if not number.isdigit():
                return None
            return f"https://peps.python.org/pep-{int(number):04d}/" + (
                f"#{anchor}" if anchor else ""
            )
        if role == "rfc":
            number, _, anchor = target.partition("#")
            if not number.isdigit():
                return None
            return f"https://datatracker.ietf.org/doc/html/rfc{int(number)}" + (
                f"#{anchor}" if anchor else ""
            )
        if role == "user":
            return f"{self.server}/{target}" if re.fullmatch(r"[\w-]+", target) else None
        if repo is None:
            return None
        base = f"{self.server}/{repo}"
        if role == "issue" and target.isdigit():
            return f"{base}/issues/{target}"
        if role == "pr" and target.isdigit():
            return f"{base}/pull/{target}"
        if role == "ghsa" and re.fullmatch(r"GHSA(-[0-9a-z]{4}){3}", target, re.IGNORECASE):
            return f"{base}/security/advisories/{target}"
        if role == "commit" and re.fullmatch(r"[0-9a-f]{4,40}", target):
            return f"{base}/commit/{target}"
        return None


def _split_title(text: str) -> tuple[str | None, str]:
    """Sphinx's explicit title syntax: ``title <target>``."""
    m = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", text)
    if m and m.group(1):
        return m.group(1), m.group(2).strip()
    return None, text.strip()
