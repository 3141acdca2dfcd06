"""Small HTML pieces for notebook displays: every user string goes through ``escape``.

Jupyter renders ``_repr_html_`` inside the notebook page, so a component's description or a
task's output that held ``<script>`` would run there; nothing reaches the markup unescaped.
Text that XML cannot carry at all (NUL and the other C0 controls) is replaced, so the same
strings are safe inside inline SVG, which a browser parses as XML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from registry.errors import Problem

# XML 1.0 allows tab, newline and carriage return among the C0 controls, and no surrogates or
# U+FFFE/U+FFFF: anything else makes an SVG document ill-formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_REPLACEMENT = "\ufffd"
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})

# Colours of a run's phases, shared by the task table and the drawing.
PHASE_COLOURS = {
    "Succeeded": "#c8e6c9", "Failed": "#ffcdd2", "Error": "#ffcdd2", "Running": "#bbdefb",
    "Pending": "#eeeeee", "Skipped": "#f5f5f5", "Omitted": "#f5f5f5",
}
NO_PHASE_COLOUR = "#ffffff"


class Markup(str):
    """Markup these helpers built (from escaped parts): ``escape`` leaves it as it is."""


def escape(value: object) -> str:
    """``value`` as text safe in HTML and XML content and in quoted attributes."""
    if isinstance(value, Markup):
        return value
    return _NOT_XML.sub(_REPLACEMENT, str(value)).translate(_ENTITIES)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "\u2026"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css_class: str = "creg") -> str:
    """A plain table; every cell is escaped text."""
    head = "".join(f"<th style=\"text-align:left\">{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style=\"text-align:left\">{escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f'<table class="{escape(css_class)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def phase_badge(phase: str) -> str:
    colour = PHASE_COLOURS.get(phase, NO_PHASE_COLOUR)
    return Markup(f'<span style="background:{colour};padding:0 4px;border-radius:3px">{escape(phase)}</span>')


def problems_html(problems: Sequence[Problem]) -> str:
    """Problems as a table with their positions (``file:line:col``), or a line saying there are none."""
    if not problems:
        return "<p>no problems</p>"
    rows = [(_where(p), p.severity, p.path, p.message) for p in problems]
    return table(["where", "severity", "field", "message"], rows, "creg-problems")


def _where(problem: Problem) -> str:
    where = problem.file or "<input>"
    return f"{where}:{problem.line}:{problem.column}" if problem.line else where


def section(title: str, body: str) -> str:
    """A titled block: ``title`` is escaped, ``body`` is markup built by these helpers."""
    return f"<div class=\"creg\"><h4 style=\"margin:4px 0\">{escape(title)}</h4>{body}</div>"
