"""The run store's read path for listing: where it lives, which runners are alive, the list query.

Kept apart from ``store`` (and free of any import but the standard library's cheapest) because
``creg runs list`` answers from here without click (see ``registry.commands.runs_fast``): over
a store of 10,000 runs it must stay within 3x of ``creg --version``.
"""

from __future__ import annotations

import os
import sqlite3
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~40% of this path's start-up)

if TYPE_CHECKING:  # pathlib and collections.abc cost a visible share of the fast listing's start
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

DATABASE = "runs.db"
SCHEMA_VERSION = 1  # PRAGMA user_version of a store this creg reads and writes
LABEL_EXPERIMENT = "creg.dev/experiment"  # as registry.argo.runview names them (a test keeps them equal)
LABEL_PIPELINE = "creg.dev/pipeline"
LABEL_CRON = "workflows.argoproj.io/cron-workflow"

# One row of a listing: name, phase, created, started, finished (seconds since 1970 or None),
# progress, experiment, pipeline, message.
ListRow = tuple[str, str, float, float | None, float | None, str, str, str, str]
ROW_COLUMNS = "r.name, r.phase, r.created, r.started, r.finished, r.progress, r.experiment, r.pipeline, r.message"


def store_home() -> Path:
    """``$CREG_HOME``, else ``$XDG_DATA_HOME/creg``, else ``~/.local/share/creg``."""
    from pathlib import Path  # lazy: see TYPE_CHECKING above (the fast listing uses home_folder)

    return Path(home_folder())


def home_folder() -> str:
    """``store_home`` as text."""
    if os.environ.get("CREG_HOME"):
        return os.environ["CREG_HOME"]
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "creg")


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), None if unknown.

    With the pid it names one process for good: a pid the system reuses after the runner died
    has another start time.  None where /proc is missing; only the pid is checked there.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):  # a zombie: dead, only not yet waited for by its parent
        return "exited"
    return fields[19].decode()


def runner_alive(pid: int | None, started: str | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    now = process_start(pid)
    return now != "exited" and (started is None or now is None or now == started)


def dead_runners(db: sqlite3.Connection) -> list[str]:
    """Unfinished runs whose runner is gone: what opening the store fails."""
    rows = db.execute("SELECT name, pid, pid_start FROM runs WHERE phase IN ('Pending', 'Running')").fetchall()
    return [name for name, pid, started in rows if not runner_alive(pid, started)]


def list_sql(columns: str, phases: Sequence[str] = (), since: float | None = None,
             selector: Mapping[str, str] | None = None, limit: int | None = None) -> tuple[str, list[object]]:
    """The query for ``runs list``: filters as SQL over ``runs r``, newest first."""
    where: list[str] = []
    params: list[object] = []
    if phases:
        where.append(f"r.phase IN ({','.join('?' * len(phases))})")
        params.extend(phases)
    if since is not None:
        where.append("r.created >= ?")
        params.append(since)
    for key, value in (selector or {}).items():
        where.append("r.name IN (SELECT run FROM labels WHERE key = ? AND value = ?)")
        params.extend((key, value))
    sql = f"SELECT {columns} FROM runs r" + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY r.created DESC, r.name" + (f" LIMIT {int(limit)}" if limit is not None else "")
    return sql, params


def list_rows(db: sqlite3.Connection, phases: Sequence[str] = (), since: float | None = None,
              selector: Mapping[str, str] | None = None, limit: int | None = None) -> list[ListRow]:
    sql, params = list_sql(ROW_COLUMNS, phases, since, selector, limit)
    rows: list[ListRow] = db.execute(sql, params).fetchall()
    return rows


def connect(home: Path | str) -> sqlite3.Connection:
    """A connection that waits for writers (WAL: readers rarely wait at all)."""
    db = sqlite3.connect(os.path.join(home, DATABASE), timeout=60, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 60000")
    return db


def exists(home: Path | str) -> bool:
    return os.path.isfile(os.path.join(home, DATABASE))


def names(rows: Iterable[ListRow]) -> list[str]:
    return [row[0] for row in rows]
