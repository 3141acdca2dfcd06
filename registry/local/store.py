"""The run store: every ``creg run`` on this machine, recorded without any server.

SQLite (the standard library's, in WAL mode with a busy timeout, so runs in many processes
write at once and a reader never waits for a writer) holds the runs, their labels and their
nodes; ``runs/<name>/`` beside it holds each run's files (its workdir unless ``--workdir``
named another) and a detached runner's own output.  The store lives in ``$CREG_HOME`` if set,
else ``$XDG_DATA_HOME/creg`` (``~/.local/share/creg``).

A run records the pid and start time of the process running it.  Opening the store fails every
``Pending``/``Running`` run whose runner is gone ("runner exited"): a run killed with ``kill
-9`` or by a power loss is never left ``Running``.  Every change is one transaction, so a kill
at any moment leaves the database whole.

``LocalRuns`` is the ``RunBackend`` over this store (see ``registry.argo.runview``).
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import sqlite3
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from registry.argo.runview import (
    FINISHED_PHASES, LABEL_EXPERIMENT, LABEL_PIPELINE, RUNNING_PHASES, Experiment, LogLine, RunQuery, Workflow,
    resolve_run_id,
)
from registry.errors import CregError
from registry.local.listing import (
    DATABASE, SCHEMA_VERSION, ListRow, connect, dead_runners, list_rows, list_sql, process_start, runner_alive,
    store_home,
)

__all__ = ["DATABASE", "LocalRuns", "RunStore", "process_start", "runner_alive", "store_home"]

RUNNER_EXITED = "runner exited"
STOPPED = "Stopped"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,         -- its creg.dev/pipeline label, copied for a fast listing
    experiment TEXT NOT NULL,       -- its creg.dev/experiment label ('' for none), as well
    runner_name TEXT NOT NULL,      -- the workflow's name inside the runner: node ids start with it
    phase TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    progress TEXT NOT NULL DEFAULT '0/0',
    parameters TEXT NOT NULL,       -- JSON: [{name, value}], what the run got
    overrides TEXT NOT NULL,        -- JSON: {name: value}, what the runner applies to the workflow
    labels TEXT NOT NULL,           -- JSON: {key: value}
    workdir TEXT NOT NULL,
    parallelism INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    pid INTEGER,
    pid_start TEXT,
    workflow TEXT NOT NULL          -- JSON: the Workflow document that runs
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created);
CREATE INDEX IF NOT EXISTS runs_by_phase ON runs (phase);
CREATE TABLE IF NOT EXISTS labels (
    run TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run, key)
);
CREATE INDEX IF NOT EXISTS labels_by_value ON labels (key, value);
CREATE TABLE IF NOT EXISTS nodes (
    run TEXT NOT NULL,
    name TEXT NOT NULL,             -- Argo's node name: <run>, <run>.<task>, <run>.<task>(0:item)
    type TEXT NOT NULL,             -- Pod, DAG, TaskGroup, Skipped
    template TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    boundary TEXT,                  -- name of the DAG node it belongs to
    started REAL,
    finished REAL,
    tasks TEXT,                     -- a DAG node's JSON {task: [tasks it waits for]}
    outputs TEXT,                   -- JSON {parameters: {}, artifacts: {}, exitCode}
    log TEXT,
    PRIMARY KEY (run, name)
);
"""


class StoreError(CregError):
    """The run store cannot be opened or changed."""


def new_suffix() -> str:
    """Five characters of [a-z0-9], as Argo's generateName appends."""
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=5))


def rfc3339(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class NewRun(NamedTuple):
    """What a run is recorded with when it is created."""

    runner_name: str  # the workflow's name inside the runner: its node ids start with it
    parameters: list[dict[str, str]]  # [{name, value}]: every parameter's value, as Argo's spec.arguments
    overrides: Mapping[str, str]  # what the runner applies to the workflow's own arguments
    labels: Mapping[str, str]
    workdir: str | None  # None: the run's folder in the store
    parallelism: int


class RunStore:
    """The database and the runs' folders.  Thread-safe: one connection behind a lock."""

    def __init__(self, home: Path | None = None, reap: bool = True) -> None:
        self.home = home if home is not None else store_home()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.db = connect(self.home)
            self._configure()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.home / DATABASE}: cannot open the run store: {exc}") from None
        self.lock = threading.RLock()
        if reap:
            self.reap()

    def _configure(self) -> None:
        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            self.db.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the file
            self.db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        # WAL with NORMAL: no fsync per node; a power loss may undo the last commits, never corrupt.
        self.db.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once (no deadlock on upgrading a read)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self.lock:
            cursor = self.db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    def folder(self, name: str) -> Path:
        return self.home / "runs" / name

    # -- a run's life -------------------------------------------------------------------------

    def create(self, prefix: str, doc: Mapping[str, Any], run: NewRun) -> str:
        """A new ``Pending`` run of ``doc``, owned by this process; its unique name ``<prefix>-xxxxx``."""
        while True:
            name = f"{prefix}-{new_suffix()}"
            try:
                with self.write() as db:
                    self._insert(db, name, doc, run)
                return name
            except sqlite3.IntegrityError:
                continue  # the name is taken: draw again, as Argo does

    def _insert(self, db: sqlite3.Connection, name: str, doc: Mapping[str, Any], run: NewRun) -> None:
        labels = run.labels
        db.execute("INSERT INTO runs (name, pipeline, experiment, runner_name, phase, created, parameters, overrides,"
                   " labels, workdir, parallelism, pid, pid_start, workflow) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (name, labels.get(LABEL_PIPELINE, ""), labels.get(LABEL_EXPERIMENT, ""), run.runner_name,
                    "Pending", time.time(), json.dumps(run.parameters), json.dumps(dict(run.overrides)),
                    json.dumps(dict(labels)), run.workdir or str(self.folder(name)), run.parallelism,
                    os.getpid(), process_start(os.getpid()), json.dumps(doc)))
        db.executemany("INSERT INTO labels (run, key, value) VALUES (?,?,?)",
                       [(name, key, value) for key, value in labels.items()])

    def set_runner(self, name: str, pid: int) -> None:
        """Process ``pid`` runs ``name`` from now on (a detached runner, once started)."""
        with self.write() as db:
            db.execute("UPDATE runs SET pid = ?, pid_start = ? WHERE name = ? AND phase IN ('Pending', 'Running')",
                       (pid, process_start(pid), name))

    def claim(self, name: str) -> sqlite3.Row:
        """This process starts running the ``Pending`` run ``name`` (new, or a retry's); its row."""
        with self.write() as db:
            changed = db.execute("UPDATE runs SET phase = 'Running', started = COALESCE(started, ?), finished = NULL,"
                                 " message = '', pid = ?, pid_start = ? WHERE name = ? AND phase = 'Pending'",
                                 (time.time(), os.getpid(), process_start(os.getpid()), name)).rowcount
        if not changed:
            raise StoreError(f"run '{name}' is not waiting to start")
        return self.rows("SELECT * FROM runs WHERE name = ?", (name,))[0]

    def finish(self, name: str, phase: str, message: str) -> None:
        """The run ended; nodes still running end with it."""
        now = time.time()
        with self.write() as db:
            db.execute("UPDATE nodes SET phase = 'Failed', finished = ?, message = ? WHERE run = ?"
                       " AND phase IN ('Pending', 'Running')", (now, message or "the run ended", name))
            db.execute("UPDATE runs SET phase = ?, message = ?, finished = ? WHERE name = ?",
                       (phase, message, now, name))
            update_progress(db, name)

    def reap(self) -> list[str]:
        """Fail every unfinished run whose runner is gone; the names."""
        with self.lock:
            dead = dead_runners(self.db)
        for name in dead:
            with self.write() as db:
                # Checked again inside the transaction: the runner may have finished meanwhile.
                if db.execute("SELECT 1 FROM runs WHERE name = ? AND phase IN ('Pending', 'Running')",
                              (name,)).fetchone():
                    self._fail_exited(db, name)
        return dead

    def _fail_exited(self, db: sqlite3.Connection, name: str) -> None:
        now = time.time()
        db.execute("UPDATE nodes SET phase = 'Failed', finished = ?, message = ? WHERE run = ?"
                   " AND phase IN ('Pending', 'Running')", (now, RUNNER_EXITED, name))
        db.execute("UPDATE runs SET phase = 'Failed', message = ?, finished = ? WHERE name = ?",
                   (RUNNER_EXITED, now, name))

    # -- nodes ----------------------------------------------------------------------------------

    def node_started(self, run: str, name: str, kind: str, template: str, boundary: str | None,
                     tasks: Mapping[str, list[str]] | None = None, log: str | None = None) -> None:
        self.apply(run, [functools.partial(start_node, run=run, name=name, kind=kind, template=template,
                                           boundary=boundary, at=time.time(), tasks=tasks, log=log)])

    def node_finished(self, run: str, name: str, phase: str, message: str, outputs: Mapping[str, Any],
                      fallback: tuple[str, str | None]) -> None:
        self.apply(run, [functools.partial(finish_node, run=run, name=name, phase=phase, message=message,
                                           outputs=outputs, fallback=fallback, at=time.time())])

    def apply(self, run: str, changes: Sequence[Change]) -> None:
        """Changes to ``run``'s nodes, in order, in one transaction (a recorder's batch)."""
        with self.write() as db:
            for change in changes:
                change(db)
            update_progress(db, run)


Change = Callable[[sqlite3.Connection], None]  # one change to the store, made inside a transaction


def start_node(db: sqlite3.Connection, run: str, name: str, kind: str, template: str, boundary: str | None,
               at: float, tasks: Mapping[str, list[str]] | None = None, log: str | None = None) -> None:
    db.execute("INSERT OR REPLACE INTO nodes (run, name, type, template, phase, boundary, started, tasks, log)"
               " VALUES (?,?,?,?,?,?,?,?,?)", (run, name, kind, template, "Running", boundary, at,
                                               json.dumps(tasks) if tasks is not None else None, log))


def finish_node(db: sqlite3.Connection, run: str, name: str, phase: str, message: str, outputs: Mapping[str, Any],
                fallback: tuple[str, str | None], at: float) -> None:
    """A node's end; ``fallback`` (type, boundary) makes the row of a node that never started."""
    db.execute("INSERT OR IGNORE INTO nodes (run, name, type, phase, boundary, started) VALUES (?,?,?,?,?,?)",
               (run, name, fallback[0], phase, fallback[1], at))
    db.execute("UPDATE nodes SET phase = ?, message = ?, finished = ?, outputs = ? WHERE run = ? AND name = ?",
               (phase, message, at, json.dumps(outputs), run, name))


def finish_groups(db: sqlite3.Connection, run: str, boundary: str, at: float) -> None:
    """A DAG ended: each loop's group node takes the phase of its iterations, as in Argo."""
    groups = db.execute("SELECT name FROM nodes WHERE run = ? AND boundary = ? AND type = 'TaskGroup'",
                        (run, boundary)).fetchall()
    for (group,) in groups:
        phases = {p for (p,) in db.execute("SELECT phase FROM nodes WHERE run = ? AND boundary = ?"
                                           " AND substr(name, 1, ?) = ?", (run, boundary, len(group) + 1, group + "("))}
        phase = "Failed" if phases & {"Failed", "Error"} else "Succeeded" if "Succeeded" in phases else "Skipped"
        db.execute("UPDATE nodes SET phase = ?, finished = ? WHERE run = ? AND name = ?", (phase, at, run, group))


def update_progress(db: sqlite3.Connection, run: str) -> None:
    """``status.progress``: finished Pod nodes over all Pod nodes, kept in the run's row for listing."""
    done, total = db.execute("SELECT COALESCE(SUM(phase IN ('Succeeded', 'Failed', 'Error')), 0), COUNT(*)"
                             " FROM nodes WHERE run = ? AND type = 'Pod'", (run,)).fetchone()
    db.execute("UPDATE runs SET progress = ? WHERE name = ?", (f"{done}/{total}", run))


# -- the Workflow shape ---------------------------------------------------------------------------

_LIST_COLUMNS = ("r.name, r.phase, r.message, r.created, r.started, r.finished, r.progress, r.parameters, r.labels,"
                 " r.workdir, r.attempt")


def fnv32a(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def node_id(run: str, name: str) -> str:
    """Argo's node id: the workflow's name for its root, else ``<workflow>-<fnv32a(node name)>``."""
    return run if name == run else f"{run}-{fnv32a(name)}"


def workflow_of(row: sqlite3.Row) -> Workflow:
    """A run's row as an Argo Workflow (without nodes or templates, as ``argo list`` returns it)."""
    status: dict[str, Any] = {"phase": row["phase"], "progress": row["progress"]}
    for key, column in (("startedAt", "started"), ("finishedAt", "finished")):
        if row[column] is not None:
            status[key] = rfc3339(row[column])
    if row["message"]:
        status["message"] = row["message"]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": row["name"], "namespace": "local", "creationTimestamp": rfc3339(row["created"]),
                         "labels": json.loads(row["labels"]),
                         "annotations": {"creg.dev/workdir": row["workdir"], "creg.dev/attempt": str(row["attempt"])}},
            "spec": {"arguments": {"parameters": json.loads(row["parameters"])}},
            "status": status}


def node_of(run: str, row: sqlite3.Row, children: list[str]) -> dict[str, Any]:
    name = row["name"]
    node: dict[str, Any] = {"id": node_id(run, name), "name": name,
                            "displayName": display_name(run, name, row["boundary"]),
                            "type": row["type"], "phase": row["phase"]}
    if row["template"]:
        node["templateName"] = row["template"]
    if row["boundary"]:
        node["boundaryID"] = node_id(run, row["boundary"])
    if children:
        node["children"] = [node_id(run, child) for child in children]
    for key, column in (("startedAt", "started"), ("finishedAt", "finished")):
        if row[column] is not None:
            node[key] = rfc3339(row[column])
    if row["message"]:
        node["message"] = row["message"]
    outputs = _outputs(json.loads(row["outputs"]) if row["outputs"] else {})
    if outputs:
        node["outputs"] = outputs
    return node


def display_name(run: str, name: str, boundary: str | None) -> str:
    """What ``argo get`` shows for a node: its task (``add``, ``add(0:x)``) within its DAG."""
    if name == run:
        return run
    return name[len(boundary or run) + 1:]


def _outputs(recorded: Mapping[str, Any]) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    if recorded.get("parameters"):
        outputs["parameters"] = [{"name": k, "value": v} for k, v in recorded["parameters"].items()]
    if recorded.get("artifacts"):
        outputs["artifacts"] = [{"name": k, "path": v} for k, v in recorded["artifacts"].items()]
    if recorded.get("exitCode") is not None:
        outputs["exitCode"] = str(recorded["exitCode"])
    return outputs


def task_of(boundary: str, name: str) -> str:
    """The DAG task a node runs: ``add`` for ``<dag>.add`` and ``<dag>.add(0:x)``."""
    rest = name[len(boundary) + 1:]
    return rest.split("(", 1)[0]


def children_of(rows: Sequence[sqlite3.Row]) -> dict[str, list[str]]:
    """Argo's ``children`` edges: a DAG to its first tasks, a task to the tasks that wait for it,
    a loop's group to its iterations."""
    by_name = {row["name"]: row for row in rows}
    edges: dict[str, list[str]] = {row["name"]: [] for row in rows}
    for row in rows:
        boundary = row["boundary"]
        if boundary is None or boundary not in by_name:
            continue
        name, task = row["name"], task_of(boundary, row["name"])
        group = f"{boundary}.{task}"
        if name != group and group in by_name:
            edges[group].append(name)  # an iteration belongs to its loop's group
            continue
        waits = json.loads(by_name[boundary]["tasks"] or "{}").get(task, [])
        parents = [f"{boundary}.{dep}" for dep in waits] or [boundary]
        for parent in parents:
            for source in _outbound(parent, by_name, edges):
                edges[source].append(name)
    return edges


def _outbound(name: str, by_name: Mapping[str, sqlite3.Row], edges: Mapping[str, list[str]]) -> list[str]:
    """A loop's dependents hang off each of its iterations, as Argo links them."""
    if name not in by_name:
        return []
    if by_name[name]["type"] == "TaskGroup":
        boundary = by_name[name]["boundary"]
        return [n for n in by_name if n.startswith(name + "(") and by_name[n]["boundary"] == boundary] or [name]
    return [name]


class LocalRuns:
    """``RunBackend`` over the run store on this machine."""

    def __init__(self, store: RunStore | None = None) -> None:
        self.store = store if store is not None else RunStore()

    def names(self) -> list[str]:
        return [row[0] for row in self.store.rows("SELECT name FROM runs")]

    def resolve(self, run_id: str) -> str:
        exact = self.store.rows("SELECT name FROM runs WHERE name = ?", (run_id,))
        return exact[0][0] if exact else resolve_run_id(run_id, self.names())

    def list_runs(self, query: RunQuery) -> list[Workflow]:
        self.store.reap()  # a long-lived caller (the web UI) opened the store long ago
        sql, params = list_sql(_LIST_COLUMNS, query.phases, _since(query), query.selector(), query.limit)
        return [workflow_of(row) for row in self.store.rows(sql, params)]

    def table_rows(self, query: RunQuery) -> list[ListRow]:
        """What ``runs list`` shows of each run, read straight from the table (no Workflow built)."""
        with self.store.lock:
            return list_rows(self.store.db, query.phases, _since(query), query.selector(), query.limit)

    def get_run(self, run_id: str) -> Workflow:
        name = self.resolve(run_id)
        if self.phase(name) in RUNNING_PHASES:
            self.store.reap()  # a watcher must see a runner that died meanwhile, not wait forever
        (row,) = self.store.rows(f"SELECT {_LIST_COLUMNS}, r.workflow FROM runs r WHERE r.name = ?", (name,))
        workflow = workflow_of(row)
        doc = json.loads(row["workflow"])
        spec = doc["spec"].get("workflowSpec", {}) if doc.get("kind") == "CronWorkflow" else doc.get("spec", {})
        workflow["spec"] = {**spec, "arguments": workflow["spec"]["arguments"]}
        nodes = self.store.rows("SELECT * FROM nodes WHERE run = ? ORDER BY started, rowid", (name,))
        edges = children_of(nodes)
        workflow["status"]["nodes"] = {node_id(name, r["name"]): node_of(name, r, edges[r["name"]]) for r in nodes}
        return workflow

    def logs(self, run_id: str, task: str | None = None, follow: bool = False) -> Iterator[LogLine]:
        name = self.resolve(run_id)
        return _follow_logs(self, name, task) if follow else _read_logs(self, name, task)

    def log_files(self, name: str, task: str | None) -> list[tuple[str, Path]]:
        rows = self.store.rows("SELECT name, boundary, log FROM nodes WHERE run = ? AND log IS NOT NULL"
                               " ORDER BY started, rowid", (name,))
        files = [(display_name(name, row["name"], row["boundary"]), Path(row["log"])) for row in rows]
        if task is not None:
            known = [shown for shown, _ in files]
            if task not in known and not any(shown.startswith(task + "(") for shown in known):
                from registry.errors import did_you_mean  # only a typo needs it

                raise CregError(f"run '{name}' has no task '{task}' with a log{did_you_mean(task, known)}")
            files = [(shown, path) for shown, path in files if shown == task or shown.startswith(task + "(")]
        return files

    def phase(self, name: str) -> str:
        rows = self.store.rows("SELECT phase FROM runs WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else "Failed"

    def delete_runs(self, run_ids: Sequence[str]) -> list[str]:
        names = [self.resolve(run_id) for run_id in run_ids]
        running = self.store.rows(f"SELECT name, phase FROM runs WHERE name IN ({','.join('?' * len(names))})"
                                  " AND phase IN ('Pending', 'Running')", names)
        if running:
            listed = ", ".join(f"'{row['name']}' ({row['phase']})" for row in running)
            raise CregError(f"not deleting {listed}: stop it first (creg runs stop {running[0]['name']})")
        for name in names:
            with self.store.write() as db:
                for table, column in (("nodes", "run"), ("labels", "run"), ("runs", "name")):
                    db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))
            shutil.rmtree(self.store.folder(name), ignore_errors=True)
        return names

    def stop_run(self, run_id: str) -> Workflow:
        name = self.resolve(run_id)
        (row,) = self.store.rows("SELECT phase, pid, pid_start FROM runs WHERE name = ?", (name,))
        if row["phase"] not in RUNNING_PHASES:
            raise CregError(f"run '{name}' is not running ({row['phase']}): nothing to stop")
        if runner_alive(row["pid"], row["pid_start"]):
            _signal_runner(row["pid"])
            self._settle_stopped(name, row["pid"], row["pid_start"])
        else:
            self.store.reap()
        return self.get_run(name)

    def _settle_stopped(self, name: str, pid: int, started: str | None, seconds: float = 2.0) -> None:
        """A runner signalled before it could catch the signal (one just starting) dies of it:
        its run ends "Stopped", as asked, rather than "runner exited"."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and runner_alive(pid, started):
            if self.phase(name) not in RUNNING_PHASES:
                return
            time.sleep(0.05)
        if not runner_alive(pid, started) and self.phase(name) in RUNNING_PHASES:
            self.store.finish(name, "Failed", STOPPED)

    def retry_run(self, run_id: str) -> Workflow:
        name = self.resolve(run_id)
        start_retry(self.store, name)
        return self.get_run(name)

    def experiments(self) -> list[Experiment]:
        self.store.reap()
        rows = self.store.rows(
            "SELECT l.value AS experiment, r.phase AS phase, COUNT(*) AS runs, MAX(r.created) AS newest"
            " FROM labels l JOIN runs r ON r.name = l.run WHERE l.key = ? GROUP BY l.value, r.phase",
            (LABEL_EXPERIMENT,))
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row["experiment"], {})[row["phase"]] = row["runs"]
        return [self._experiment(name, phases) for name, phases in sorted(counts.items())]

    def _experiment(self, name: str, counts: dict[str, int]) -> Experiment:
        (last,) = self.store.rows("SELECT r.name, COALESCE(r.started, r.created) AS started FROM runs r"
                                  " WHERE r.experiment = ? ORDER BY r.created DESC LIMIT 1", (name,))
        return Experiment(name, counts, last["name"], rfc3339(last["started"]) or "")


def _since(query: RunQuery) -> float | None:
    return query.since.timestamp() if query.since is not None else None


def _signal_runner(pid: int) -> None:
    """SIGTERM to the runner: its whole process group when it leads one (a detached runner)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGTERM)
        else:
            os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # it ended meanwhile; the reap that follows settles it


def _read_logs(runs: LocalRuns, name: str, task: str | None) -> Iterator[LogLine]:
    for shown, path in runs.log_files(name, task):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            yield LogLine(shown, line)


def _follow_logs(runs: LocalRuns, name: str, task: str | None, poll: float = 0.2) -> Iterator[LogLine]:
    """Every line as it is written, until the run has ended and every file is read."""
    offsets: dict[Path, int] = {}
    partial: dict[Path, bytes] = {}
    while True:
        finished = runs.phase(name) in FINISHED_PHASES  # read before the files: no line is lost
        for shown, path in runs.log_files(name, task):
            yield from _new_lines(shown, path, offsets, partial, finished)
        if finished:
            return
        time.sleep(poll)
        runs.store.reap()


def _new_lines(shown: str, path: Path, offsets: dict[Path, int], partial: dict[Path, bytes],
               final: bool) -> Iterator[LogLine]:
    try:
        with open(path, "rb") as handle:
            handle.seek(offsets.get(path, 0))
            data = partial.pop(path, b"") + handle.read()
            offsets[path] = handle.tell()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    if lines[-1] and not final:
        partial[path] = lines[-1]  # a line still being written
    for line in lines[:-1] + ([lines[-1]] if final and lines[-1] else []):
        yield LogLine(shown, line.decode("utf-8", errors="replace"))


# -- runners in the background ---------------------------------------------------------------------

def start_detached(store: RunStore, name: str) -> int:
    """Run ``name`` in a new session in the background; the runner's pid.

    Its own output (not the tasks': those have their logs) goes to ``runner.log`` in the
    run's folder.
    """
    folder = store.folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CREG_HOME=str(store.home))
    with open(folder / "runner.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "registry.local.recording", name], cwd=folder, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
    store.set_runner(name, process.pid)
    return process.pid


def start_retry(store: RunStore, name: str) -> None:
    """A new attempt of the failed run ``name``, in the background: same name, succeeded tasks reused."""
    with store.write() as db:
        (phase,) = db.execute("SELECT phase FROM runs WHERE name = ?", (name,)).fetchone()
        if phase not in ("Failed", "Error"):
            raise CregError(f"run '{name}' is {phase}: only a failed run can be retried")
        db.execute("UPDATE runs SET phase = 'Pending', message = '', finished = NULL, attempt = attempt + 1,"
                   " pid = ?, pid_start = ? WHERE name = ?", (os.getpid(), process_start(os.getpid()), name))
        # Only the succeeded tasks stay; the rest shows again as it runs.
        db.execute("DELETE FROM nodes WHERE run = ? AND NOT (type = 'Pod' AND phase = 'Succeeded'"
                   " AND name NOT LIKE ?)", (name, f"{name}.onExit%"))
        update_progress(db, name)
    start_detached(store, name)
