"""``creg runs list``'s table: ages, durations, columns; the standard library's ``time`` only.

``runs_fast`` prints it without importing click and ``runs`` through click, so both print the
same bytes.  Times are parsed by hand: a listing formats thousands of rows, and
``datetime.strptime`` would cost more than the rest of the command.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~40% of this path's start-up)

if TYPE_CHECKING:  # not imported at run time: the fast listing's start-up
    from collections.abc import Iterable, Sequence

    from registry.local.listing import ListRow

DEFAULT_LIMIT = 50  # runs list shows the newest 50 unless --limit or --all says otherwise
LIST_HEADER = ("NAME", "STATUS", "AGE", "DURATION", "PROGRESS", "EXPERIMENT")
WIDE_HEADER = (*LIST_HEADER, "PIPELINE", "MESSAGE")


def epoch(text: str | None) -> float | None:
    """RFC 3339 UTC text (``2026-12-04T07:49:08Z``, fractions ignored) as seconds since 1970."""
    if not text or len(text) < 19:
        return None
    try:
        year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
        seconds = int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
    except ValueError:
        return None
    return _days_from_civil(year, month, day) * 86400.0 + seconds


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def span(seconds: float | None) -> str:
    """``42s``, ``3m5s``, ``2h4m``, ``6d3h``: as ``argo list`` shows ages and durations."""
    if seconds is None:
        return "-"
    whole = max(0, int(seconds))
    for unit, size, smaller, small_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if whole >= size:
            rest = (whole % size) // small_size
            return f"{whole // size}{unit}{rest}{smaller}" if rest else f"{whole // size}{unit}"
    return f"{whole}s"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart, as kubectl and argo print them."""
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]
    line = "  ".join(f"%-{width}s" for width in widths)  # one %-format per row: the fast way for 10,000 rows
    return "\n".join([(line % tuple(row)).rstrip() for row in [header, *rows]])


def render_list(rows: Sequence[ListRow], fmt: str, now: float) -> str:
    """The listing as ``table``, ``wide`` or ``name`` text, without a final newline ("" for no runs)."""
    if fmt == "name":
        return "\n".join(row[0] for row in rows)
    if not rows:
        return ""
    wide = fmt == "wide"
    cells = [(name, phase, span(now - created), span((finished or now) - started) if started else "-", done,
              experiment, *((pipeline, message.split("\n", 1)[0]) if wide else ()))
             for name, phase, created, started, finished, done, experiment, pipeline, message in rows]
    return table(WIDE_HEADER if wide else LIST_HEADER, cells)


def list_note(shown: int, limit: int | None, fmt: str) -> str:
    """What ``runs list`` tells on stderr below a table: that there is nothing, or maybe more."""
    if fmt == "name":
        return ""
    if not shown:
        return "no runs"
    if limit is not None and shown == limit:
        return f"(the newest {limit} runs; --limit N or --all for more)"
    return ""


def printable_lines(text: str) -> str:
    """``text`` with control characters written as ``\\xNN``, as ``_output.printable`` does.

    Line by line, so the common case (every line printable) costs one C call per line.
    """
    if all(line.isprintable() for line in text.split("\n")):
        return text
    from registry.commands._output import printable  # lazy: runs_fast must not import click

    return printable(text)


# -- the filters' values, as both paths read them ------------------------------------------------------

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")
_KNOWN_PHASES = {phase.lower(): phase for phase in PHASES}
AGE = r"(\d+)([smhdw])"
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def phases_of(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """``('Running,failed',)`` -> (['Running', 'Failed'], unknown values)."""
    found, unknown = [], []
    for value in (v.strip() for item in values for v in item.split(",") if v.strip()):
        if value.lower() in _KNOWN_PHASES:
            found.append(_KNOWN_PHASES[value.lower()])
        else:
            unknown.append(value)
    return found, unknown


def age_seconds(text: str) -> float | None:
    """``7d`` -> 604800.0, ``1d12h`` too; None for anything else."""
    import re  # lazy: only an age needs it

    parts = re.findall(AGE, text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return float(sum(int(n) * _UNIT[u] for n, u in parts))


def since_epoch(text: str, now: float) -> float | None:
    """An age back from ``now`` (``7d``) or a date or time (``2026-12-01``, ``...T08:00:00Z``, UTC
    unless it says otherwise) as seconds since 1970; None for anything else."""
    age = age_seconds(text)
    if age is not None:
        return now - age
    from datetime import datetime, timezone  # lazy: only a date needs it

    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
