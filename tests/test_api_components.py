"""Components through the public API: loading from files, text, URLs and registries; making
them from functions defined in this very module (as in a notebook cell); their displays."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

import registry
from helpers_publish import http_server, resolve_command
from registry.api.components import Component
from registry.component.fromfunc import FromFuncError
from registry.component.model import thaw
from registry.errors import ArgumentError, CregWarning, SpecError
from test_api_html import parsed

ROOT = Path(__file__).resolve().parent.parent
ADD = ROOT / "components" / "add" / "1.0.0" / "component.yaml"


class Division(NamedTuple):  # in a notebook this class sits in an earlier cell than the function
    quotient: float
    remainder: float


def divide(dividend: float, divisor: float = 2.0) -> Division:
    """Divides with a remainder."""
    quotient, remainder = divmod(dividend, divisor)
    return quotient, remainder  # a plain tuple: the class does not exist in the container


def starred(*values: int) -> int:  # a container cannot pass *args: refused, with its position
    return sum(values)


def leaky(a: int) -> int:  # converts, with a warning: the container has no module globals
    return a + len(ROOT.parts)


def test_every_loader_gives_a_component_that_is_a_spec() -> None:
    from_file = registry.load_component_from_file(ADD)
    from_text = registry.load_component_from_text(ADD.read_text(), "add.yaml")
    from_registry = registry.load_component("add@1.0.0")
    for component in (from_file, from_text, from_registry):
        assert isinstance(component, Component) and isinstance(component, registry.ComponentSpec)
        assert component.name == "Add" and component.digest == from_file.digest
    assert from_file.to_yaml() == ADD.read_text()


def test_load_from_url_over_http(tmp_path: Path) -> None:
    (tmp_path / "add.yaml").write_bytes(ADD.read_bytes())
    with http_server(tmp_path) as base:
        component = registry.load_component_from_url(f"{base}/add.yaml")
        assert component.name == "Add" and component.source == f"{base}/add.yaml"
        with pytest.raises(registry.CregError, match="404"):
            registry.load_component_from_url(f"{base}/missing.yaml")


def test_an_invalid_spec_raises_spec_error_with_positions() -> None:
    with pytest.raises(SpecError) as caught:
        registry.load_component_from_text("name: x\ninputs:\n- {name: a, type: 3}\nimplementation: {}\n", "bad.yaml")
    assert caught.value.problems and all(p.file == "bad.yaml" and p.line > 0 for p in caught.value.problems)
    assert str(caught.value).startswith("bad.yaml:")


def test_a_function_becomes_a_component_with_named_tuple_outputs() -> None:
    component = registry.component_from_func(divide, packages=["numpy pandas"], base_image="python:3.12")
    assert [(i.name, i.type, i.default) for i in component.inputs] == [("dividend", "Float", None),
                                                                      ("divisor", "Float", "2.0")]
    assert [(o.name, o.type) for o in component.outputs] == [("quotient", "Float"), ("remainder", "Float")]
    assert component.image == "python:3.12" and component.description == "Divides with a remainder."
    program = " ".join(str(part) for part in component.container["command"])
    assert "numpy" in program and "pandas" in program and "def divide" in program


def test_the_function_runs_in_the_component_as_written(tmp_path: Path) -> None:
    """The generated program, run as the container would run it, computes the outputs."""
    component = registry.component_from_func(divide)
    out_q, out_r = tmp_path / "q", tmp_path / "r"
    line = resolve_command(thaw(component.container), {"dividend": "7"}, {"quotient": out_q, "remainder": out_r})
    result = subprocess.run(line, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (float(out_q.read_text()), float(out_r.read_text())) == (3.0, 1.0)  # divisor's default 2.0


def test_problems_point_into_this_file() -> None:
    with pytest.raises(FromFuncError) as caught:
        registry.component_from_func(starred)
    (problem,) = caught.value.problems
    line = inspect.getsourcelines(starred)[1]
    assert (problem.file, problem.line) == (__file__, line)
    assert "*values" in problem.message or "*args" in problem.message


def test_a_closure_over_a_global_converts_with_a_positioned_warning() -> None:
    with pytest.warns(CregWarning) as caught:
        component = registry.component_from_func(leaky)
    (warning,) = [w for w in caught if "ROOT" in str(w.message)]
    line = inspect.getsourcelines(leaky)[1] + 1
    assert str(warning.message).startswith(f"{__file__}:{line}:")
    assert [i.name for i in component.inputs] == ["a"]


def test_a_file_target_as_the_cli_takes_it(tmp_path: Path) -> None:
    source = tmp_path / "ops.py"
    source.write_text("def double(x: int) -> int:\n    return 2 * x\n")
    by_target = registry.component_from_func(f"{source}:double")
    by_name = registry.component_from_func(source, "double")
    assert by_target.to_yaml() == by_name.to_yaml()
    assert [o.name for o in by_target.outputs] == ["Output"]
    saved = by_target.save(tmp_path / "double.yaml")
    assert registry.load_component_from_file(saved).digest == by_target.digest


def test_bad_arguments_are_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError) as caught:
        registry.component_from_func(lambda x: x)
    assert caught.value.argument == "func_or_source"
    with pytest.raises(ArgumentError):
        registry.component_from_func("no-colon-here")
    with pytest.raises(ArgumentError) as caught:
        registry.component_from_func(tmp_path / "ops.py")
    assert caught.value.argument == "function"


def test_html_shows_the_interface_and_escapes_user_text() -> None:
    text = ADD.read_text().replace("First addend.", "<img src=x onerror=alert(1)>")
    component = registry.load_component_from_text(text, "evil.yaml")
    markup = component._repr_html_()
    assert "<img" not in markup
    cells = parsed(markup).cells
    assert ["a", "Float", "(required)", "<img src=x onerror=alert(1)>"] == cells[cells.index("a"):cells.index("a") + 4]
    assert "python:3.11-slim" in cells and component.digest in cells
    assert ["sum", "Float", "a + b"] == cells[cells.index("sum"):cells.index("sum") + 3]


def test_plain_repr_is_one_line() -> None:
    text = repr(registry.load_component("add@1.0.0"))
    assert text.startswith("<Component 'Add' (a: Float, b: Float) -> (sum: Float) python:3.11-slim sha256:")
    assert "\n" not in text


def test_validate_components_reports_each_file(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "component.yaml").write_bytes(ADD.read_bytes())
    (tmp_path / "bad.component.yaml").write_text("name: x\ninputs: 3\n")
    results = {r.path.name: r for r in registry.validate_components([tmp_path])}
    assert results["component.yaml"].valid and not results["bad.component.yaml"].valid
    assert results["bad.component.yaml"].problems[0].file.endswith("bad.component.yaml")
