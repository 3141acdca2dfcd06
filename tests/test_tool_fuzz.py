"""Property-based fuzzing: bad input never crashes creg.

For generated component specs, pipelines and index files (near-valid documents from
``helpers_fuzz``: valid files mutated with any Unicode, any YAML type in any position,
colliding names, boolean-looking task ids, huge integers, deep nesting), every command's
library call — ``validate``, ``show``, ``lint``, ``compile``, ``graph``, ``run`` and registry
resolution — either succeeds or raises the project's own ``CregError`` whose problems carry
the file and, for a file, a line.  What compiles must also be right: the emitted YAML reads
back as the document that was built, passes Argo's schema, gives every template input a
name of its own and keeps artifact paths under ``/tmp/inputs``/``/tmp/outputs``; and what
compiles from harmless inline containers runs.  A few whole-process CLI runs check exit
codes and that no traceback reaches the user.

Profiles: ``ci`` (the default: deterministic, no example database, about a minute) and
``long`` (``HYPOTHESIS_PROFILE=long``, ``make fuzz``: random, many more examples).

Known bugs.  A crash the suite has found is listed in ``KNOWN_BUGS`` with a matcher and a
minimal reproducer.  The properties tolerate a listed bug (counted as a Hypothesis event, so
the fuzzer keeps exploring past it) and ``test_known_bug_is_fixed`` runs every reproducer as a
strict xfail.  Whoever fixes a bug deletes its entry: the xfail then disappears with the
tolerance, and the properties hold creg to the fix.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import helpers_fuzz as fz
import registry
from registry.argo.check import validate as argo_validate
from registry.argo.compiler import compile_document, compile_pipeline, lint_pipeline
from registry.argo.draw import to_dot, to_mermaid
from registry.argo.emit import to_yaml
from registry.component.model import load_component_from_file, load_component_from_text
from registry.component.view import describe, render_text, validate_file
from registry.errors import CregError, Problem, mention
from registry.index.model import load_index
from registry.pipeline.components import registry_loader
from registry.pipeline.load import load_pipeline
from registry.yamlio import dump

ROOT = Path(__file__).resolve().parent.parent

# -- profiles ------------------------------------------------------------------------------------------

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                      HealthCheck.large_base_example])
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile("long", derandomize=False, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
SCALE = {"ci": 1, "long": 12}.get(PROFILE, 1)


def examples(n: int) -> settings:
    """``n`` examples in CI, ``SCALE`` times more in the long profile."""
    return settings(max_examples=n * SCALE)


# -- the outcome checks ------------------------------------------------------------------------------

OK, ERROR, KNOWN = "ok", "error", "known"


def unpositioned(problems: list[Problem], file: str) -> list[Problem]:
    """Problems that do not say where: no file, another file, or no line in a file.

    Command-line problems (``--param``) have no line in the file, rightly.
    """
    return [p for p in problems if not p.path.startswith(("--param", mention("params")))
            and (p.file != file or p.line < 1 or p.column < 1)]


def attempt(what: str, file: str, call: Callable[[], Any]) -> tuple[str, Any]:
    """(OK, value), (ERROR, CregError) or (KNOWN, bug name); any other outcome fails the test."""
    try:
        return OK, call()
    except CregError as exc:
        bad = unpositioned(exc.problems, file) if exc.problems else [Problem(message=str(exc))]
        if bad:
            bug = known_bug(f"{what}: unpositioned: {bad[0].format()}")
            if bug:
                event(f"known bug: {bug}")
                return KNOWN, bug
            raise AssertionError(f"{what}: {type(exc).__name__} without a position in {file}: "
                                 f"{[p.format() for p in bad[:3]]}") from exc
        return ERROR, exc
    except Exception as exc:  # RecursionError, KeyError, yaml errors, ...: never acceptable
        bug = known_bug(exc)
        if bug:
            event(f"known bug: {bug}")
            return KNOWN, bug
        raise


_IO_PREFIXES = ("/tmp/inputs/", "/tmp/outputs/")


def _templates(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    return spec.get("templates") or []


_INPUT_REFERENCE = re.compile(r"\{\{inputs\.parameters\.([^{}]*)\}\}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def compiled_defects(doc: dict[str, Any], source: str = "") -> list[str]:
    """What a compiled document gets wrong that Argo's schema does not catch.

    ``source`` is the text compiled: a ``{{inputs.parameters...}}`` the user wrote there
    themselves is passed through on purpose, so references are checked only without one.
    """
    defects = []
    for template in _templates(doc):
        name = template.get("name")
        declared = {p.get("name") for p in (template.get("inputs") or {}).get("parameters") or []}
        if "{{inputs." not in source:
            for text in _strings(template.get("container")):
                for wanted in _INPUT_REFERENCE.findall(text):
                    if wanted not in declared:
                        defects.append(f"template {name!r}: {{{{inputs.parameters.{wanted}}}}} names no input "
                                       f"parameter (declared: {sorted(map(str, declared))}): a reference "
                                       "that does not match its sanitized name")
        for side in ("inputs", "outputs"):
            for kind in ("parameters", "artifacts"):
                items = (template.get(side) or {}).get(kind) or []
                names = [item.get("name") for item in items]
                twins = sorted({n for n in names if names.count(n) > 1})
                if twins:
                    defects.append(f"template {name!r}: {side}.{kind} named {twins} more than once "
                                   "(names that collide after sanitizing)")
            paths = [str(item.get("path")) for item in (template.get(side) or {}).get("artifacts") or []]
            twins = sorted({p for p in paths if paths.count(p) > 1})
            if twins:
                defects.append(f"template {name!r}: two {side}.artifacts at {twins} (names that collide after "
                               "sanitizing)")
            for item in (template.get(side) or {}).get("artifacts") or []:
                path = str(item.get("path", ""))
                normal = posixpath.normpath(path)
                if path.startswith(_IO_PREFIXES) and not (normal.startswith(_IO_PREFIXES) and ".." not in
                                                          path.split("/")):
                    defects.append(f"template {name!r}: artifact {item.get('name')!r} path {path!r} "
                                   "leaves /tmp/inputs or /tmp/outputs")
    return defects


_SAFE_PREFIXES = [c for c in fz.SAFE_COMMANDS if c[0] == "sh"] + [fz.WRITER[:3]]


def safe_to_run(doc: dict[str, Any]) -> bool:
    """Only containers that run ``sh -c true``, ``echo`` or the output writer, few loop items,
    no volumes: a generated document never runs anything else on this machine."""
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    if spec.get("volumes") or spec.get("volumeClaimTemplates"):
        return False
    for param in (spec.get("arguments") or {}).get("parameters") or []:
        try:
            value = json.loads(str(param.get("value", "")))
        except ValueError:
            continue
        if isinstance(value, list) and len(value) > 4:
            return False
    for template in _templates(doc):
        if "dag" in template:
            if any(len(t.get("withItems") or []) > 4 or "withSequence" in t for t in template["dag"]["tasks"]):
                return False
            continue
        container = template.get("container")
        if container is None:
            return False
        argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
        if argv[:1] == ["echo"] or argv[:3] in _SAFE_PREFIXES[:-1]:
            continue
        declared = [str(p.get("valueFrom", {}).get("path")) for p in
                    (template.get("outputs") or {}).get("parameters") or []]
        declared += [str(a.get("path")) for a in (template.get("outputs") or {}).get("artifacts") or []]
        if argv[:3] == _SAFE_PREFIXES[-1] and argv[3:4] == [fz.WRITER[3]] and fz.WRITER[3] in declared:
            continue
        return False
    return True


def run_with_timeout(call: Callable[[], Any], seconds: float = 90) -> Any:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the test thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"creg run did not finish in {seconds}s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def check_pipeline(path: Path, run: bool = True, params: dict[str, str] | None = None) -> str:
    """lint, graph, compile (and run) one pipeline file; return how it ended."""
    file = str(path)
    loader = registry_loader(None, path)
    status, linted = attempt("lint", file, lambda: lint_pipeline(path, loader=loader))
    if status == OK:
        bad = unpositioned(linted, file)
        if bad and not any(known_bug(f"lint: unpositioned: {p.format()}") for p in bad):
            raise AssertionError(f"lint: problems without a position: {[p.format() for p in bad[:3]]}")
    status, pipeline = attempt("load", file, lambda: load_pipeline(path, loader=loader, overrides=params))
    if status != OK:
        if status == ERROR and not params:
            assert linted, "load_pipeline failed but lint reported no problem"
        return status
    for draw in (to_dot, to_mermaid):
        status_graph, text = attempt("graph", file, lambda: draw(pipeline))
        if status_graph == OK:
            assert isinstance(text, str) and text.endswith("\n")
    status, doc = attempt("compile", file, lambda: compile_document(pipeline))
    if status != OK:
        return status
    if not params:
        assert linted == [], f"compiles, yet lint reports {[p.format() for p in linted[:3]]}"
    status, text = attempt("compile (yaml)", file, lambda: to_yaml(doc))
    if status != OK:
        return status
    back = yaml.safe_load(text)
    assert fz.same(back, doc), "the emitted YAML does not read back as the document that was built"
    argo_validate(back, file)  # Argo's schema and semantics, on what was written
    if not params:
        assert compile_pipeline(path, loader=loader) == text
    for defect in compiled_defects(doc, path.read_text(encoding="utf-8", errors="replace")):
        bug = known_bug(defect)
        if not bug:
            raise AssertionError(f"compile: {defect}")
        event(f"known bug: {bug}")
        return KNOWN
    if run and not params and safe_to_run(doc):
        return check_run(path)
    return "compiled"


def check_run(path: Path) -> str:
    from registry.local.runner import run_pipeline_file

    workdir = path.parent / "run"
    status, result = attempt("run", str(path),
                             lambda: run_with_timeout(lambda: run_pipeline_file(path, None, {}, workdir, 2)))
    if status == OK:
        assert result.phase in ("Succeeded", "Failed")
        note(f"run: {result.phase}: {[(n.id, n.phase, n.message[:80]) for n in result.nodes]}")
        failed = [n.message for n in result.nodes if n.phase == "Failed" and n.message]
        event(f"run {result.phase}" + (": " + re.sub(r"'[^']*'|\S*/\S*", "_", failed[0])[:60] if failed else ""))
        return f"ran: {result.phase}"
    return status


def check_component(path: Path) -> tuple[str, Any]:
    """validate and show one component file; return (status, spec or error)."""
    file = str(path)
    status, spec = attempt("validate", file, lambda: load_component_from_file(path))
    result = validate_file(path) if status != KNOWN else None
    if result is not None:
        assert result.valid == (status == OK)
        assert not unpositioned(result.problems, file) or status == KNOWN
    if status == OK:
        info = describe(spec)
        shown = [lambda: render_text(spec), lambda: json.dumps(info), lambda: dump(info)]
        for show in shown:
            status_show, _ = attempt("show", file, show)
        assert load_component_from_text(path.read_bytes(), file).digest == spec.digest
    return status, spec


# -- known bugs ----------------------------------------------------------------------------------------
#
# Each: a reproducer (fails while the bug is there: an exception other than a positioned CregError,
# or a wrong result) and a matcher that recognises the bug in the properties' failures.


@dataclass(frozen=True)
class KnownBug:
    reason: str  # the class of bug, as the xfail reason
    matches: Callable[[BaseException | str, list[tuple[str, str]]], bool]  # (exception or defect, creg frames)
    reproducer: Callable[[Path], None]  # raises (or fails an assert) while the bug is there


_PACKAGE = Path(registry.__file__).resolve().parent


def _frames(exc: BaseException) -> list[tuple[str, str]]:
    """(module path below registry/, function) of every creg frame of a traceback, innermost last."""
    out = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(_PACKAGE):
            out.append((path.relative_to(_PACKAGE).as_posix(), frame.name))
    return out


def _pipeline_file(folder: Path, text: str) -> Path:
    path = folder / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _compiles_or_refuses(path: Path) -> dict[str, Any] | None:
    """The compiled document, or None when creg refuses the file with positioned problems."""
    try:
        return yaml.safe_load(compile_pipeline(path))
    except CregError as exc:
        assert exc.problems and not unpositioned(exc.problems, str(path))
        return None


def _runs_or_refuses(path: Path) -> None:
    """Compiles and runs to success, or is refused with positioned problems."""
    from registry.local.runner import run_pipeline_file

    if _compiles_or_refuses(path) is not None:
        assert run_pipeline_file(path, None, {}, path.parent / "run", 1).phase == "Succeeded"


# non-bmp-emit

def _repro_non_bmp(folder: Path) -> None:
    """A rocket in a description and a command: compile must keep it, not crash."""
    path = _pipeline_file(folder, 'name: p\ndescription: "\U0001F680"\n'
                                  'tasks:\n  t: {image: alpine, command: [echo, "\U0001F680"]}\n')
    doc = yaml.safe_load(compile_pipeline(path))
    assert doc["metadata"]["annotations"]["workflows.argoproj.io/description"] == "\U0001F680"


def _is_emit_parse_error(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, yaml.YAMLError) and ("argo/emit.py", "render") in frames


# control-character-unpositioned

def _repro_control_character(folder: Path) -> None:
    """A NUL byte in a component file: the error must say at which line and column."""
    with pytest.raises(CregError) as caught:
        load_component_from_text(b"name: x\n\x00", "c.yaml")
    assert caught.value.problems and not unpositioned(caught.value.problems, "c.yaml")


def _is_reader_error(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, str) and "control characters are not allowed" in failure


# huge-version-number

def _repro_huge_version(folder: Path) -> None:
    """A range whose number has 5,000 digits is a bad reference (ResolveError), not a ValueError."""
    from registry.index.resolve import Registry

    with pytest.raises(CregError):
        Registry([], offline=True).load("add@^" + "9" * 5000)


def _is_huge_version(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, ValueError) and "4300" in str(failure) and \
        any(module == "component/version.py" for module, _ in frames)


# sanitized-name-collision

def _compile_component(folder: Path, inputs: list[str], outputs: list[str], kind: str) -> None:
    """Compile a pipeline using a component with these inputs (each passed as ``kind``) and outputs:
    a positioned error, or an output without the defects of ``compiled_defects``."""
    component = {"name": "c", "inputs": [{"name": n} for n in inputs], "outputs": [{"name": n} for n in outputs],
                 "implementation": {"container": {"image": "alpine", "command": [
                     "sh", "-c", "true", *({kind: n} for n in inputs), *({"outputPath": n} for n in outputs)]}}}
    (folder / "component.yaml").write_text(yaml.safe_dump(component), encoding="utf-8")
    pipeline = {"name": "p", "tasks": {"t": {"component": "./component.yaml", "args": {n: "1" for n in inputs}}}}
    doc = _compiles_or_refuses(_pipeline_file(folder, yaml.safe_dump(pipeline)))
    assert doc is None or compiled_defects(doc) == []


def _repro_collision(folder: Path) -> None:
    """Inputs 'A' and 'a' (one Argo parameter 'a'); 'x y' and 'x_y' (one path /tmp/inputs/x_y/data)."""
    _compile_component(folder, ["A", "a"], [], "inputValue")
    _compile_component(folder, ["x y", "x_y"], [], "inputPath")


def _is_collision(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, str) and "collide after sanitizing" in failure


# param-reference-case

def _repro_param_reference_case(folder: Path) -> None:
    """An inline task reading param 'P': its input is 'p' but the argument says {{inputs.parameters.P}}."""
    path = _pipeline_file(folder, "name: p\nparams: {P: {default: 3}}\n"
                                  "tasks:\n  u: {image: alpine, command: [echo], args: [{param: P}]}\n")
    doc = _compiles_or_refuses(path)
    assert doc is None or compiled_defects(doc) == []
    _runs_or_refuses(path)


def _is_reference_mismatch(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, str) and "does not match its sanitized name" in failure


# dotdot-name-path

def _repro_dotdot(folder: Path) -> None:
    """An input or output named '..' becomes /tmp/inputs/../data or /tmp/outputs/../data."""
    _compile_component(folder, [".."], [], "inputPath")
    _compile_component(folder, [], [".."], "inputPath")


def _is_dotdot(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, str) and "leaves /tmp/inputs or /tmp/outputs" in failure


# unhashable-reference

def _repro_unhashable_reference(folder: Path) -> None:
    """{param: [a]}: a list where a param name is expected is a positioned error, not a TypeError."""
    path = _pipeline_file(folder, "name: p\nparams: {a: {default: 1}}\n"
                                  "tasks:\n  t: {component: add@1.0.0, args: {a: {param: [a]}, b: 1}}\n")
    problems = lint_pipeline(path)
    assert problems and not unpositioned(problems, str(path))


def _is_unhashable_in_pipeline(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, TypeError) and "unhashable" in str(failure) and \
        bool(frames) and frames[-1][0] == "pipeline/load.py"


# non-text-name-suggestion

def _repro_non_text_task_id(folder: Path) -> None:
    """A graph task id 'yes' (read as true) next to a taskOutput naming another: SpecError, not TypeError."""
    text = ("name: g\noutputs: [{name: o}]\nimplementation:\n  graph:\n    tasks:\n"
            "      yes: {componentRef: {name: add, tag: 1.0.0}}\n"
            "    outputValues:\n      o: {taskOutput: {taskId: 'ye', outputName: sum}}\n")
    with pytest.raises(CregError) as caught:
        load_component_from_text(text, "c.yaml")
    assert not unpositioned(caught.value.problems, "c.yaml")


def _is_non_text_suggestion(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, TypeError) and ("errors.py", "did_you_mean") in frames


# integral-float-setting

def _repro_integral_float(folder: Path) -> None:
    """timeout: 1.0 and retries: 1.0 pass the schema (JSON Schema counts 1.0 as an integer), then
    seconds() slices a float and _retries() calls dict() on it."""
    for setting in ("timeout: 1.0", "retries: 1.0"):
        _compiles_or_refuses(_pipeline_file(folder, f"name: p\ntasks:\n  t: {{image: alpine, command: [echo], "
                                                    f"{setting}}}\n"))


def _is_integral_float(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, TypeError) and bool(frames) and \
        frames[-1] in (("pipeline/load.py", "seconds"), ("pipeline/load.py", "_retries"))


# graph-output-values-shape

def _repro_graph_output_value(folder: Path) -> None:
    """A graph's outputValues entry written as a string ('first') rather than {taskOutput: ...}:
    validate accepts the component, compiling a pipeline that uses it raises AttributeError."""
    (folder / "graph.yaml").write_text(
        "name: g\ninputs: [{name: a}]\noutputs: [{name: total}]\nimplementation:\n  graph:\n    tasks:\n"
        "      first: {componentRef: {name: add, tag: 1.0.0}, arguments: {a: {graphInput: {inputName: a}}, b: '1'}}\n"
        "    outputValues:\n      total: first\n", encoding="utf-8")
    _compiles_or_refuses(_pipeline_file(folder, "name: p\ntasks:\n  t: {component: ./graph.yaml, args: {a: 1}}\n"))


def _is_graph_shape(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
    return isinstance(failure, (AttributeError, TypeError)) and bool(frames) and \
        frames[-1][0] == "pipeline/graphs.py"


# deep-when

def _when_pipeline(folder: Path, expression: str) -> Path:
    return _pipeline_file(folder, f'name: p\nparams: {{n: {{default: 1}}}}\ntasks:\n'
                                  f'  t: {{image: alpine, command: [sh, -c, "true"], when: "{expression}"}}\n')


def _repro_deep_when_compile(folder: Path) -> None:
    """500 parentheses around a condition: a positioned PipelineError (or success), not RecursionError."""
    _runs_or_refuses(_when_pipeline(folder, "(" * 500 + "param.n == 1" + ")" * 500))


def _repro_deep_when_run(folder: Path) -> None:
    """200 'not's compile; running the pipeline must then not die of RecursionError."""
    _runs_or_refuses(_when_pipeline(folder, "not " * 200 + "param.n == 1"))


def _recursion_in(module: str) -> Callable[[BaseException | str, list[tuple[str, str]]], bool]:
    def matches(failure: BaseException | str, frames: list[tuple[str, str]]) -> bool:
        return isinstance(failure, RecursionError) and any(m == module for m, _ in frames)
    return matches


REGRESSIONS: dict[str, KnownBug] = {
    "non-bmp-emit": KnownBug(
        "characters beyond the BMP (U+1F680) in a pipeline's strings crash compile/lint/run: the emitter "
        "writes JSON surrogate escapes that the YAML parser rejects",
        _is_emit_parse_error, _repro_non_bmp),
    "control-character-unpositioned": KnownBug(
        "a control character (NUL, ESC, ...) in a YAML file is reported without line and column",
        _is_reader_error, _repro_control_character),
    "huge-version-number": KnownBug(
        "a version or range with a number over 4,300 digits (add@^999...) raises ValueError from int()",
        _is_huge_version, _repro_huge_version),
    "sanitized-name-collision": KnownBug(
        "input/output names that differ only in case or in characters the sanitizer rewrites ('A'/'a', "
        "'x y'/'x_y') are accepted, though they become one Argo parameter or one artifact path",
        _is_collision, _repro_collision),
    "param-reference-case": KnownBug(
        "an inline container reading a param whose name the sanitizer rewrites ('P', 'x y') declares input "
        "'p' but passes {{inputs.parameters.P}}: Argo and creg run fail on the unknown reference",
        _is_reference_mismatch, _repro_param_reference_case),
    "dotdot-name-path": KnownBug(
        "an input or output named '..' becomes the path /tmp/inputs/../data (outside /tmp/inputs/)",
        _is_dotdot, _repro_dotdot),
    "unhashable-reference": KnownBug(
        "a list or mapping where a pipeline names something ({param: [a]}, {item: {}}, env {param: []}, "
        "a mount's volume) raises TypeError: unhashable type", _is_unhashable_in_pipeline,
        _repro_unhashable_reference),
    "non-text-name-suggestion": KnownBug(
        "a name YAML reads as a non-string (graph task id 'yes' -> true, '1' -> 1) reaches did_you_mean and "
        "raises TypeError: object of type 'bool' has no len()", _is_non_text_suggestion,
        _repro_non_text_task_id),
    "integral-float-setting": KnownBug(
        "an integral float where an integer is expected (timeout: 1.0, retries: 1.0, for a task, the "
        "defaults or the pipeline) passes the schema and raises TypeError", _is_integral_float,
        _repro_integral_float),
    "graph-output-values-shape": KnownBug(
        "a graph component whose outputValues entry is not a {taskOutput: ...} mapping passes validate, then "
        "compiling a pipeline that uses it raises AttributeError in the graph expansion", _is_graph_shape,
        _repro_graph_output_value),
    "deep-when-compile": KnownBug(
        "a deeply nested when condition (500 parentheses, 1,000 'not's) raises RecursionError in the "
        "when parser (lint/compile/graph/run)", _recursion_in("pipeline/when.py"), _repro_deep_when_compile),
    "deep-when-run": KnownBug(
        "a when condition nested 200 deep compiles, then creg run's condition evaluator raises RecursionError",
        _recursion_in("local/conditions.py"), _repro_deep_when_run),
}

# Crash classes found and not yet fixed: each runs as a strict xfail until it is, and a fuzz
# failure that matches one is counted as known.  All of those found so far are fixed: they
# stay in REGRESSIONS, whose reproducers must now pass.
KNOWN_BUGS: dict[str, KnownBug] = {}


def known_bug(failure: BaseException | str) -> str | None:
    frames = _frames(failure) if isinstance(failure, BaseException) else []
    return next((name for name, bug in KNOWN_BUGS.items() if bug.matches(failure, frames)), None)


# -- component specs --------------------------------------------------------------------------------------


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@examples(300)
@given(st.data())
def test_component_specs_never_crash(data: st.DataObject) -> None:
    """validate / show of a component, then lint / compile / graph / run of a pipeline using it."""
    doc = data.draw(fz.component_documents(), label="component")
    text = data.draw(fz.text_damage(fz.to_text(doc)), label="text")
    raw = data.draw(fz.encoded(text), label="bytes")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _write(folder, "c/component.yaml", raw)
        status, spec = check_component(path)
        event(f"component: {status}")
        if status != OK:
            return
        args: dict[str, Any] = {}
        for item in spec.inputs:
            if item.required or data.draw(st.booleans()):
                args[item.name] = data.draw(fz.mostly(st.sampled_from(["1", "x", {"param": "p"}]), fz.scalars, 3))
        pipeline = {"name": "uses-component", "timeout": 60,
                    "params": {"p": {"default": data.draw(st.one_of(fz.scalars, st.just("v")))}},
                    "tasks": {"t": {"component": "./c/component.yaml", "args": args}}}
        ppath = _write(folder, "pipeline.yaml", fz.to_text(pipeline).encode("utf-8"))
        event(f"pipeline using it: {check_pipeline(ppath)}")


# -- pipelines ------------------------------------------------------------------------------------------------


def _pipeline_folder(folder: Path) -> None:
    """The components the example pipelines name by path, next to the generated file."""
    for source in fz.PIPELINE_COMPONENTS.glob("*.yaml"):
        _write(folder, f"components/{source.name}", source.read_bytes())


@examples(400)
@given(st.data())
def test_pipelines_never_crash(data: st.DataObject) -> None:
    doc = data.draw(fz.pipeline_documents(), label="pipeline")
    text = data.draw(fz.text_damage(fz.to_text(doc)), label="text")
    raw = data.draw(fz.encoded(text), label="bytes")
    params = data.draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(["p", "a", "url", "x y", "\U0001F680"]),
                                                            fz.hostile_text, max_size=2)), label="--param")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _pipeline_folder(folder)
        path = _write(folder, "pipeline.yaml", raw)
        event(f"pipeline: {check_pipeline(path, params=params or None)}")


@examples(150)
@given(st.data())
def test_inline_pipelines_compile_and_run(data: st.DataObject) -> None:
    """Small inline pipelines, barely mutated, so that many compile and run."""
    doc = data.draw(fz.mutated(data.draw(fz.inline_pipelines()), fz.PIPELINE_FIELDS, fz.references, most=1))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "pipeline.yaml", fz.to_text(doc).encode("utf-8"))
        event(f"inline pipeline: {check_pipeline(path)}")


# -- graph components ------------------------------------------------------------------------------------------


@examples(150)
@given(st.data())
def test_graph_components_never_crash(data: st.DataObject) -> None:
    """tests/data/pipelines/graph.yaml with its graph component mutated."""
    base = yaml.safe_load((fz.PIPELINE_COMPONENTS / "add-twice.yaml").read_text(encoding="utf-8"))
    doc = data.draw(fz.mutated(base, fz.COMPONENT_FIELDS, fz.placeholders))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _pipeline_folder(folder)
        path = _write(folder, "components/add-twice.yaml", fz.to_text(doc).encode("utf-8"))
        status, _ = check_component(path)
        pipeline = _write(folder, "pipeline.yaml", (ROOT / "tests/data/pipelines/graph.yaml").read_bytes())
        event(f"graph component {status}, pipeline: {check_pipeline(pipeline, run=False)}")


# -- indexes ------------------------------------------------------------------------------------------------------


@examples(200)
@given(st.data())
@pytest.mark.filterwarnings("ignore::registry.errors.CregWarning")  # an unreadable registry is skipped
def test_index_files_never_crash(data: st.DataObject) -> None:
    """load_index, then what search / versions / show NAME@REF do with a registry folder holding it."""
    from registry.index.resolve import Registry
    from registry.sources.store import sha256_digest

    component = (ROOT / "components/add/1.0.0/component.yaml").read_bytes()
    doc = data.draw(fz.index_documents(sha256_digest(component)), label="index")
    text = data.draw(fz.text_damage(fz.to_text(doc)), label="text")
    raw = data.draw(fz.encoded(text), label="bytes")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "registry"
        path = _write(folder, "index.yaml", raw)
        _write(folder, "component.yaml", component)
        _write(folder, "components/add/1.0.0/component.yaml", component)
        status, index = attempt("index", str(path), lambda: load_index(raw, str(path)))
        event(f"index: {status}")
        if status != OK:
            return
        names = index.names()
        specs = data.draw(st.lists(st.sampled_from(fz.SPECS), min_size=1, max_size=3), label="specs")
        for name in names[:4]:
            attempt_registry("versions", lambda: index.versions(name))
            for spec in specs:
                attempt_registry("match", lambda: index.match(name, spec))
        registry = Registry([str(folder)], offline=True)
        refs = [f"{name}@{spec}" if spec else name for name in names[:3] for spec in specs]
        refs += data.draw(st.lists(st.one_of(fz.hostile_text, st.sampled_from(["add@1.0.0", "@", "a@", "add@^1"])),
                                   max_size=2), label="more refs")
        for ref in refs:
            status, _ = attempt_registry("show", lambda: registry.load(ref))
            event(f"show NAME@REF: {status}")
        attempt_registry("search", lambda: registry.search(data.draw(fz.hostile_text, label="search")))
        for name in names[:2]:
            attempt_registry("versions", lambda: registry.versions(name))


def attempt_registry(what: str, call: Callable[[], Any]) -> tuple[str, Any]:
    """A registry lookup: success or a CregError (a reference is not a file, so no line is due)."""
    try:
        return OK, call()
    except CregError as exc:
        assert str(exc).strip(), f"{what}: an empty error message"
        return ERROR, exc
    except Exception as exc:
        bug = known_bug(exc)
        if bug:
            event(f"known bug: {bug}")
            return KNOWN, bug
        raise


# -- the command line -------------------------------------------------------------------------------------------


def creg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def assert_clean_exit(result: subprocess.CompletedProcess[str], command: str) -> None:
    assert result.returncode in (0, 1, 2), f"creg {command}: exit {result.returncode}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr, f"creg {command}: a traceback reached the user\n{result.stderr[-2000:]}"


@examples(6)
@given(st.data())
def test_command_line_exits_cleanly(data: st.DataObject) -> None:
    """Whole processes: exit 0/1/2 and no traceback, for inputs the library handles without a known bug."""
    component = fz.to_text(data.draw(fz.component_documents(), label="component")).encode("utf-8")
    pipeline = fz.to_text(data.draw(fz.pipeline_documents(), label="pipeline")).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _pipeline_folder(folder)
        cpath = _write(folder, "c/component.yaml", component)
        ppath = _write(folder, "pipeline.yaml", pipeline)
        commands = []
        if check_component(cpath)[0] != KNOWN:
            commands += [["validate", "c/component.yaml"], ["show", "c/component.yaml", "--format", "json"]]
        outcome = check_pipeline(ppath, run=False)
        if outcome != KNOWN:
            commands += [["lint", "pipeline.yaml"], ["compile", "pipeline.yaml"],
                         ["graph", "pipeline.yaml", "--format", "mermaid"]]
            if outcome == "compiled":
                loaded = compile_document(load_pipeline(ppath, loader=registry_loader(None, ppath)))
                if safe_to_run(loaded):
                    commands.append(["run", "pipeline.yaml", "--workdir", "run"])
        for command in commands:
            assert_clean_exit(creg(*command, cwd=folder), " ".join(command))


def test_command_line_on_hostile_files(tmp_path: Path) -> None:
    """Fixed hostile inputs through the file commands: empty, a list, bad UTF-8, a rocket and 'yes:', deep."""
    cases = {"empty.yaml": b"", "list.yaml": b"- a\n- b\n", "bad.yaml": b"name: \xff\n", "rocket.yaml":
             "name: \U0001F680\ntasks: {yes: {image: x}}\n".encode(), "deep.yaml": b"[" * 200 + b"]" * 200}
    for name, raw in cases.items():
        _write(tmp_path, name, raw)
    every = [["validate"], ["show"], ["lint"], ["compile"], ["graph"], ["run", "--workdir", "run"]]
    for name in cases:
        for command in every if name in ("bad.yaml", "rocket.yaml") else [["validate"], ["lint"]]:
            command = [command[0], name, *command[1:]]
            result = creg(*command, cwd=tmp_path)
            assert_clean_exit(result, " ".join(command))
            assert result.returncode != 0, f"creg {' '.join(command)} accepted {name}"
            assert re.search(re.escape(name) + r":\d+:\d+: error", result.stderr), result.stderr


# -- fixed crash classes, and known ones as strict xfails --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_a_fixed_crash_class_stays_fixed(name: str, tmp_path: Path) -> None:
    """Each reproducer raised (or failed an assert) while its bug was there."""
    REGRESSIONS[name].reproducer(tmp_path)


@pytest.mark.parametrize("name", sorted(KNOWN_BUGS) or [pytest.param("none", marks=pytest.mark.skip("no known bugs"))])
def test_known_bug_is_fixed(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if name in KNOWN_BUGS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name].reason))
        KNOWN_BUGS[name].reproducer(tmp_path)
