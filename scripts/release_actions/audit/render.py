"""The audit's report for people: a terminal table, one line per finding, the job summary."""

from __future__ import annotations

from collections.abc import Mapping

from .model import BROKEN, OK, SKIPPED, UNREACHABLE, AuditReport, Status, VersionReport

SYMBOLS = {OK: "✓", BROKEN: "✗", UNREACHABLE: "?", SKIPPED: "–"}  # noqa: RUF001 - the dash is meant
ASCII_SYMBOLS = {OK: "ok", BROKEN: "X", UNREACHABLE: "?", SKIPPED: "-"}
HEADERS = {
    "tag": "Tag",
    "release": "Release",
    "milestone": "Milestone",
    "assets": "Assets",
    "provenance": "Provenance",
}


def _note(v: VersionReport) -> str:
    notes = []
    if v.yanked:
        notes.append(f"yanked: {v.yanked_reason}" if v.yanked_reason else "yanked")
    if v.prerelease:
        notes.append("pre-release")
    if v.release is not None and v.release.draft:
        notes.append("draft")
    if v.unreachable:
        notes.append("unreachable")
    if any(f.provenance for f in v.files):
        notes.append("PEP 740")
    return ", ".join(notes)


def _cells(report: AuditReport, symbols: Mapping[Status, str]) -> tuple[list[str], list[list[str]]]:
    header = ["Version"] + [HEADERS[c] for c in report.checks] + ["Note"]
    rows = []
    for v in report.versions:
        cells = [
            symbols[v.checks[c].status] if c in v.checks else symbols[SKIPPED]
            for c in report.checks
        ]
        rows.append([v.version, *cells, _note(v)])
    return header, rows


def render_table(report: AuditReport, *, ascii_only: bool = False) -> str:
    """The table of versions and checks, for a terminal."""
    header, rows = _cells(report, ASCII_SYMBOLS if ascii_only else SYMBOLS)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines) + "\n"


def render_broken(report: AuditReport) -> list[str]:
    """One line per broken promise: version, check, cause, fix."""
    return [f"{v.version} {c.name}: {c.detail}. Fix: {c.fix}" for v, c in report.broken]


def render_unreachable(report: AuditReport) -> list[str]:
    """One line per promise that could not be checked: version, check, what failed, fix."""
    return [f"{v.version} {c.name}: {c.detail}. Fix: {c.fix}" for v, c in report.unreachable]


def summary_counts(report: AuditReport) -> str:
    yanked = sum(1 for v in report.versions if v.yanked)
    broken_versions = sum(1 for v in report.versions if v.broken)
    unreachable_versions = sum(1 for v in report.versions if v.unreachable)
    text = (
        f"{len(report.versions)} version(s) of {report.project} audited against {report.repo}: "
        f"{broken_versions} with broken promises ({len(report.broken)} in all), "
        f"{unreachable_versions} not fully checked (unreachable), {yanked} yanked"
    )
    if report.since is not None:
        text += f"; {len(report.excluded)} older than --since {report.since} left out"
    return text


def render_markdown(report: AuditReport, *, limit: int = 200) -> str:
    """The job summary: counts, the table (newest first, capped), then each broken promise."""
    from ..markdown import details, table

    header, rows = _cells(report, SYMBOLS)
    mark = "❌" if report.broken else "⚠️" if report.unreachable else "✅"
    parts = [f"### {mark} Release audit of {report.project}", summary_counts(report) + "."]
    shown = rows[:limit]
    body = table(header, shown)
    if len(rows) > limit:
        body += f"\n\n{len(rows) - limit} older version(s) not shown; see the JSON report."
    parts.append(body)
    if report.broken:
        items = "\n".join(
            f"- **{v.version}** {c.name}: {c.detail}.<br>Fix: {c.fix}" for v, c in report.broken
        )
        parts.append(details(f"{len(report.broken)} broken promise(s)", items))
    if report.unreachable:
        items = "\n".join(
            f"- **{v.version}** {c.name}: {c.detail}.<br>Fix: {c.fix}"
            for v, c in report.unreachable
        )
        parts.append(details(f"{len(report.unreachable)} promise(s) not checked", items))
    if report.notes:
        items = "\n".join(f"- {n}" for n in report.notes)
        parts.append(details(f"How the index was read ({report.index_source})", items))
    if report.excluded:
        parts.append(
            details(
                f"{len(report.excluded)} version(s) older than --since {report.since}",
                ", ".join(report.excluded),
            )
        )
    return "\n\n".join(parts)
