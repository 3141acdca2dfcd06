"""from-func: typed Python functions become components whose command really runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers_publish import DATA, creg, resolve_command
from registry.component.fromfunc import FromFuncError, function_to_spec, write_component
from registry.component.model import load_component_from_file

CHAPTER = DATA / "chapter_functions.py"
TYPED = DATA / "typed_functions.py"
BAD = DATA / "bad_functions.py"


def run_component(spec_file: Path, values: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Run the component's command as a subprocess (python3 -> this interpreter); read its outputs."""
    spec = load_component_from_file(spec_file)
    outputs = {o.name: tmp_path / "outputs" / o.name / "data" for o in spec.outputs}
    from registry.component.model import thaw

    command = resolve_command(thaw(spec.container), values, outputs)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {name: path.read_text() for name, path in outputs.items()}


def convert(tmp_path: Path, file: Path, func: str, **options: Any) -> Path:
    out = tmp_path / f"{func}.yaml"
    write_component(file, func, out, **options)
    return out


def test_chapter_add_computes_eleven(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, CHAPTER, "add")
    spec = load_component_from_file(spec_file)
    assert [(i.name, i.type) for i in spec.inputs] == [("a", "Float"), ("b", "Float")]
    assert [(o.name, o.type) for o in spec.outputs] == [("Output", "Float")]
    assert spec.description == "Calculates sum of two arguments"
    assert float(run_component(spec_file, {"a": "7", "b": "4"}, tmp_path)["Output"]) == 11


def test_chapter_my_divmod_gives_quotient_and_remainder(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, CHAPTER, "my_divmod")
    spec = load_component_from_file(spec_file)
    assert spec.name == "My divmod"
    assert [o.name for o in spec.outputs] == ["quotient", "remainder"]
    outputs = run_component(spec_file, {"dividend": "11", "divisor": "8"}, tmp_path)
    assert (float(outputs["quotient"]), float(outputs["remainder"])) == (1, 3)


def test_the_source_file_is_parsed_never_executed(tmp_path: Path) -> None:
    # chapter_functions.py raises SystemExit at import; conversion must still work.
    spec = function_to_spec(CHAPTER, "add")
    program = spec["implementation"]["container"]["command"][3]
    assert "SystemExit" not in program and "def add(a, b):" in program


def test_every_supported_type_defaults_and_optional_inputs(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, TYPED, "describe")
    spec = load_component_from_file(spec_file)
    types = {i.name: (i.type, i.default, i.optional) for i in spec.inputs}
    assert types == {"names": ("JsonArray", None, False), "scale": ("Integer", "2", True),
                     "loud": ("Boolean", "False", True), "meta": ("JsonObject", '{"k": 1}', True),
                     "title": ("String", None, True), "ratio": ("Float", "0.5", True)}
    assert [(o.name, o.type) for o in spec.outputs] == [("count", "Integer"), ("names", "JsonArray"),
                                                        ("flags", "JsonObject")]
    assert spec.description.startswith("Counts names.\n\nSecond paragraph")
    values = {"names": '["a", "b"]', "scale": "2", "loud": "true", "meta": '{"k": 1}', "ratio": "0.5"}
    outputs = run_component(spec_file, values, tmp_path)
    assert outputs["count"] == "4"
    assert json.loads(outputs["names"]) == ["A", "B", "A", "B"]
    assert json.loads(outputs["flags"]) == {"loud": True, "titled": False, "meta": True}


def test_optional_input_given_and_omitted(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, TYPED, "shout")
    assert run_component(spec_file, {"text": "hi"}, tmp_path)["Output"] == "HI"
    assert run_component(spec_file, {"text": "hi", "times": "3"}, tmp_path)["Output"] == "HIHIHI"


def test_function_without_outputs_runs_and_fails_loudly(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, TYPED, "nothing")
    spec = load_component_from_file(spec_file)
    assert spec.outputs == ()
    run_component(spec_file, {"flag": "false"}, tmp_path)
    from registry.component.model import thaw

    command = resolve_command(thaw(spec.container), {"flag": "true"}, {})
    failed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0 and "flag was set" in failed.stderr


@pytest.mark.parametrize("func, expected", [
    ("no_hints", ["bad_functions.py:6:14: error: no_hints(): parameter 'a' has no type annotation"]),
    ("star_args", ["bad_functions.py:10:16: error: star_args(): '*values' cannot become inputs",
                   "bad_functions.py:10:31: error: star_args(): '**options' cannot become inputs"]),
    ("odd_types", ["bad_functions.py:14:18: error: odd_types(): parameter 'a': unsupported type 'set'",
                   "bad_functions.py:14:26: error: odd_types(): parameter 'b': unsupported type 'complex'",
                   "bad_functions.py:14:43: error: odd_types(): unsupported return type 'bytes'"]),
    ("uses_globals", ["bad_functions.py:19:12: error: uses_globals(): uses 'os', a name from outside",
                      "bad_functions.py:19:35: error: uses_globals(): uses 'LIMIT', a name from outside"]),
    ("no_return_hint", ["bad_functions.py:22:1: error: no_return_hint(): no return annotation"]),
    ("computed_default", ["bad_functions.py:26:31: error: computed_default(): parameter 'a': the default "
                          "must be a literal"]),
])
def test_unconvertible_functions_name_file_line_column(func: str, expected: list[str]) -> None:
    with pytest.raises(FromFuncError) as caught:
        function_to_spec(BAD, func)
    lines = [p.format().replace(str(BAD.parent) + "/", "") for p in caught.value.problems]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected):
        assert line.startswith(start), (line, start)


def test_unknown_function_suggests_a_name() -> None:
    with pytest.raises(FromFuncError, match="did you mean 'add'"):
        function_to_spec(CHAPTER, "ad")


def test_packages_install_with_pip_before_the_function_runs() -> None:
    spec = function_to_spec(CHAPTER, "add", base_image="python:3.12-slim", packages=["numpy", "pandas==2.2.0"])
    container = spec["implementation"]["container"]
    assert container["image"] == "python:3.12-slim"
    shell, flag, script, *python = container["command"]
    assert (shell, flag) == ("sh", "-c")
    assert "python3 -m pip install --quiet --no-warn-script-location numpy pandas==2.2.0" in script
    assert script.endswith('&& "$0" "$@"') and python[:3] == ["python3", "-u", "-c"]
    with pytest.raises(FromFuncError, match="pip requirements"):
        function_to_spec(CHAPTER, "add", packages=["numpy; rm -rf /"])


def test_shell_runs_the_pip_wrapper_with_the_arguments(tmp_path: Path) -> None:
    # The real `sh -c` wrapper, with `python3 -m pip` standing for a pip that succeeds.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python3").write_text(f'#!/bin/sh\n[ "$1" = "-m" ] && exit 0\nexec {sys.executable} "$@"\n')
    (fake_bin / "python3").chmod(0o755)
    spec = function_to_spec(CHAPTER, "add", packages=["somepackage"])
    container = spec["implementation"]["container"]
    out = tmp_path / "sum"
    command = resolve_command(container, {"a": "7", "b": "4"}, {"Output": out}, python="python3")
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert float(out.read_text()) == 11


def test_conversion_is_deterministic(tmp_path: Path) -> None:
    first = convert(tmp_path / "one", TYPED, "describe").read_bytes()
    second = convert(tmp_path / "two", TYPED, "describe").read_bytes()
    assert first == second


def test_cli_from_func_writes_a_valid_component(tmp_path: Path) -> None:
    out = tmp_path / "divmod" / "component.yaml"
    result = creg("component", "from-func", f"{CHAPTER}:my_divmod", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert load_component_from_file(out).output("remainder") is not None
    failed = creg("component", "from-func", f"{BAD}:uses_globals", "-o", str(tmp_path / "x.yaml"))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "bad_functions.py:19:12" in failed.stderr and not (tmp_path / "x.yaml").exists()


def test_parameters_named_like_argparse_options_run(tmp_path: Path) -> None:
    source = tmp_path / "funcs.py"
    source.write_text("def shout(help: str, h: int = 2) -> str:\n    return help * h\n")
    spec_file = convert(tmp_path, source, "shout")
    assert [i.name for i in load_component_from_file(spec_file).inputs] == ["help", "h"]
    assert run_component(spec_file, {"help": "ab", "h": "3"}, tmp_path)["Output"] == "ababab"
