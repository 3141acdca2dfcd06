"""HTML pieces of the notebook displays: escaping and table content."""

from __future__ import annotations

import html.parser

from registry.api.html import Markup, escape, phase_badge, problems_html, shorten, table
from registry.errors import Problem


class Cells(html.parser.HTMLParser):
    """The text of every table cell, in order, and every tag opened."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def parsed(markup: str) -> Cells:
    cells = Cells()
    cells.feed(markup)
    cells.close()
    return cells


def test_escape_covers_markup_quotes_and_xml_forbidden_characters() -> None:
    assert escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
    assert escape("bell\x07nul\x00") == "bell\ufffdnul\ufffd"
    assert escape("tab\tnewline\n") == "tab\tnewline\n"
    assert escape(Markup("<b>kept</b>")) == "<b>kept</b>"


def test_table_cells_hold_the_values_as_text() -> None:
    markup = table(["name", "value"], [("<script>", 1), ("b", "x & y")])
    cells = parsed(markup)
    assert cells.cells == ["name", "value", "<script>", "1", "b", "x & y"]
    assert "script" not in cells.tags


def test_a_badge_is_markup_inside_a_table() -> None:
    cells = parsed(table(["phase"], [(phase_badge("Failed"),)]))
    assert cells.cells == ["phase", "Failed"] and "span" in cells.tags


def test_problems_show_their_positions() -> None:
    problems = [Problem("p.yaml", 3, 5, "$.tasks.a", "expected <x>"), Problem("q.yaml", 0, 0, "$", "unreadable")]
    cells = parsed(problems_html(problems)).cells
    assert cells[4:8] == ["p.yaml:3:5", "error", "$.tasks.a", "expected <x>"]
    assert cells[8] == "q.yaml"
    assert problems_html([]) == "<p>no problems</p>"


def test_shorten() -> None:
    assert shorten("abcdef", 4) == "abc\u2026" and shorten("abc", 4) == "abc"
