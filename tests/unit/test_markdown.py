"""The Markdown leaf: what a value can and cannot do inside the Markdown we write."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from release_actions import markdown


def test_a_table_has_a_header_a_rule_and_one_line_per_row() -> None:
    assert markdown.table(["File", "Size"], [["a.whl", "1"], ["b.tar.gz", "2"]]) == (
        "| File | Size |\n| --- | --- |\n| a.whl | 1 |\n| b.tar.gz | 2 |"
    )


def test_cells_escape_pipes_and_line_breaks() -> None:
    assert markdown.table(["a"], [["x|y"]]).splitlines()[-1] == "| x\\|y |"
    assert markdown.cell("one\r\ntwo\rthree\nfour") == "one two three four"


@given(
    st.lists(st.text(alphabet=st.sampled_from("a|\\\n\r "), max_size=20), min_size=1, max_size=4)
)
def test_no_cell_can_add_a_column_or_a_row(values: list[str]) -> None:
    rendered = markdown.table(["h"] * len(values), [values])
    lines = rendered.split("\n")
    assert len(lines) == 3
    # GFM splits a row at every pipe not preceded by a backslash: only the borders.
    assert len(re.findall(r"(?<!\\)\|", lines[2])) == len(values) + 1


def test_details_wraps_a_collapsed_body() -> None:
    assert markdown.details("2 files", "- a\n- b\n\n") == (
        "<details><summary>2 files</summary>\n\n- a\n- b\n\n</details>"
    )


def test_code_spans_survive_backticks() -> None:
    assert markdown.code("plain") == "`plain`"
    assert markdown.code("a`b") == "`` a`b ``"
    assert markdown.code("``x") == "``` ``x ```"


@given(st.text(alphabet="ab` ", max_size=12))
def test_a_code_span_is_never_closed_by_its_text(text: str) -> None:
    span = markdown.code(text)
    fence = re.match(r"`+", span)
    assert fence is not None
    inner = span[len(fence.group()) : -len(fence.group())]
    # CommonMark: the span ends at the first run of exactly as many backticks.
    assert fence.group() not in re.findall(r"`+", inner)
    assert inner.strip(" ") == text.strip(" ") or inner == f" {text} "


def test_link_text_cannot_close_the_link() -> None:
    assert markdown.link("v1 [beta]", "https://example.test/r") == (
        "[v1 \\[beta\\]](https://example.test/r)"
    )


def test_no_html_keeps_tags_as_text() -> None:
    assert markdown.no_html("a <script> b < c") == "a \\<script> b < c"
