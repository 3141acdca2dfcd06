"""``creg runs list`` on this machine's store, answered without click.

Importing click and the command group costs more than listing 10,000 runs, and the listing must
stay within 3x of ``creg --version``.  So ``entry`` hands ``creg runs list ...`` here first: the
usual options (``-o table|wide|name``, ``--experiment``, ``--pipeline``, ``--status``,
``--since``, ``-l``, ``--schedule``, ``--limit``, ``--all``) are read by hand and answered with the very
query and table the click command uses (``registry.local.listing``, ``_runs_table``).
Anything else — ``--help``, ``--server``, ``$ARGO_SERVER``, JSON or YAML, a bad value, a store
that does not exist yet — returns False, and click answers as always (with its error messages).
"""

from __future__ import annotations

import os
import sys
import time

from registry.commands._runs_table import DEFAULT_LIMIT, list_note, phases_of, printable_lines, render_list, since_epoch
from registry.local.listing import (
    LABEL_CRON, LABEL_EXPERIMENT, LABEL_PIPELINE, SCHEMA_VERSION, connect, dead_runners, exists, home_folder, list_rows,
)

_VALUED = {"-o": "output", "--output": "output", "--experiment": "experiment", "--pipeline": "pipeline",
           "--status": "status", "--since": "since", "-l": "label", "--label": "label",
           "--schedule": "schedule", "--limit": "limit"}


class _Options:
    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}

    def one(self, key: str) -> str | None:
        found = self.values.get(key)
        return found[-1] if found else None  # click keeps the last of a repeated option


def _parse(argv: list[str]) -> _Options | None:
    options, rest = _Options(), list(argv)
    while rest:
        word = rest.pop(0)
        if word == "--all":
            options.values["all"] = [""]
            continue
        name, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name not in _VALUED or (not equals and not rest):
            return None
        options.values.setdefault(_VALUED[name], []).append(value if equals else rest.pop(0))
    return options


_Query = tuple[list[str], "float | None", dict[str, str], "int | None"]  # phases, since, selector, limit


def _query(options: _Options) -> _Query | None:
    """The listing's filters, or None if a value is not plainly right (click explains it)."""
    phases, unknown = phases_of(options.values.get("status", []))
    selector: dict[str, str] = {}
    for pair in options.values.get("label", []):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            return None
        selector[key] = value
    for key, option in ((LABEL_EXPERIMENT, "experiment"), (LABEL_PIPELINE, "pipeline"), (LABEL_CRON, "schedule")):
        if options.one(option) is not None:
            selector[key] = options.one(option) or ""
    since_text, limit = options.one("since"), options.one("limit")
    since = since_epoch(since_text, time.time()) if since_text is not None else None
    if unknown or (since_text is not None and since is None) or (limit is not None and not _positive(limit)):
        return None
    every = "all" in options.values
    return phases, since, selector, None if every else int(limit) if limit else DEFAULT_LIMIT


def _positive(text: str) -> bool:
    return text.strip().isdigit() and int(text) >= 1


def answer(argv: list[str]) -> bool:
    """Print ``creg runs list ARGV`` and return True, or return False to leave it to click."""
    options = _parse(argv)
    fmt = (options.one("output") or "table") if options is not None else None
    query = _query(options) if options is not None and fmt in ("table", "wide", "name") else None
    home = home_folder()
    if query is None or os.environ.get("ARGO_SERVER") or not exists(home):
        return False
    db = connect(home)
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return False
        if dead_runners(db):
            from registry.local.store import RunStore, store_home  # lazy: rare (opening it fails their runs)

            RunStore(store_home()).close()
        rows = list_rows(db, *query)
    finally:
        db.close()
    _write(render_list(rows, fmt or "table", time.time()), list_note(len(rows), query[3], fmt or "table"))
    return True


def _write(text: str, note: str) -> None:
    try:
        if text:
            sys.stdout.write(printable_lines(text) + "\n")
            sys.stdout.flush()
        if note:
            sys.stderr.write(note + "\n")
    except BrokenPipeError:  # `creg runs list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
