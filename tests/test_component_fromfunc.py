"""from-func: Python functions become the components KFP's create_component_from_func makes, and they run.

The expected interfaces below are KFP 1.8.22's rules written out (kfp/components/_python_op.py):
they were checked once against the real kfp==1.8.22 on these very files.  The corpus of real
kubeflow/pipelines sources is in test_component_fromfunc_corpus.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers_publish import DATA, creg, resolve_command
from registry.component.fromfunc import FromFuncError, convert_file, function_to_spec, write_component
from registry.component.funcdoc import argument_docs, summary
from registry.component.funcsource import SourceError
from registry.component.model import load_component_from_file, thaw

CHAPTER = DATA / "chapter_functions.py"
TYPED = DATA / "typed_functions.py"
BAD = DATA / "bad_functions.py"
FROMFUNC = Path(__file__).resolve().parent / "data" / "fromfunc"
ANNOTATIONS = FROMFUNC / "annotations.py"


def run_component(spec_file: Path, values: dict[str, str], tmp_path: Path, ok: bool = True) -> dict[str, str]:
    """Run the component's command as a subprocess (python3 -> this interpreter); read its outputs."""
    spec = load_component_from_file(spec_file)
    outputs = {o.name: tmp_path / "outputs" / o.name / "data" for o in spec.outputs}
    command = resolve_command(thaw(spec.container), values, outputs)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (result.returncode == 0) == ok, result.stderr
    if not ok:
        return {"stderr": result.stderr}
    return {name: path.read_text(errors="surrogateescape") for name, path in outputs.items() if path.exists()}


def convert(tmp_path: Path, file: Path, func: str, **options: Any) -> Path:
    out = tmp_path / f"{func}.yaml"
    write_component(file, func, out, **options)
    return out


def ports(spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in port.items()} for port in spec.get(key, [])]


# --- the chapter's functions -----------------------------------------------------------------


def test_chapter_add_computes_eleven(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, CHAPTER, "add")
    spec = load_component_from_file(spec_file)
    assert [(i.name, i.type) for i in spec.inputs] == [("a", "Float"), ("b", "Float")]
    assert [(o.name, o.type) for o in spec.outputs] == [("Output", "Float")]
    assert spec.description == "Calculates sum of two arguments"
    assert spec.container is not None and spec.container["image"] == "python:3.7"  # KFP's default image
    assert float(run_component(spec_file, {"a": "7", "b": "4"}, tmp_path)["Output"]) == 11


def test_chapter_my_divmod_gives_quotient_and_remainder(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, CHAPTER, "my_divmod")
    spec = load_component_from_file(spec_file)
    assert spec.name == "My divmod"
    assert [o.name for o in spec.outputs] == ["quotient", "remainder"]
    outputs = run_component(spec_file, {"dividend": "11", "divisor": "8"}, tmp_path)
    assert (float(outputs["quotient"]), float(outputs["remainder"])) == (1, 3)


def test_the_source_file_is_parsed_never_executed() -> None:
    # chapter_functions.py and annotations.py raise SystemExit at import; conversion still works.
    spec = function_to_spec(CHAPTER, "add")
    program = spec["implementation"]["container"]["command"][3]
    assert "SystemExit" not in program and "def add(a, b):" in program
    assert function_to_spec(ANNOTATIONS, "no_return")["name"] == "No return"


def test_the_chapters_conditional_pipeline_runs_with_its_converted_functions(tmp_path: Path) -> None:
    source = tmp_path / "chapter_conditional.py"
    source.write_bytes((FROMFUNC / "chapter_conditional.py").read_bytes())
    made = creg("component", "from-func", str(source))
    assert made.returncode == 0, made.stderr
    names = ["get_random_int_op", "process_small_op", "process_medium_op", "process_large_op"]
    assert [line.split()[1] for line in made.stdout.splitlines()] == [str(tmp_path / f"{n}.component.yaml") for n in names]
    small = yaml.safe_load((tmp_path / "process_small_op.component.yaml").read_text())
    assert (small["name"], small["inputs"], "outputs" in small) == ("Process small op", [{"name": "data", "type": "Integer"}], False)
    pipeline = (Path(__file__).resolve().parent.parent / "examples" / "conditional.yaml").read_text()
    for ref, name in [("random-int@1.0.0", names[0]), ("process-small@1.0.0", names[1]),
                      ("process-medium@1.0.0", names[2]), ("process-large@1.0.0", names[3])]:
        pipeline = pipeline.replace(ref, f"./{name}.component.yaml")
    for number, branch in ((3, "small"), (30, "medium"), (70, "large")):
        workdir = f"run-{number}"
        text = pipeline.replace("{minimum: 0, maximum: 100}", f"{{minimum: {number}, maximum: {number}}}")
        (tmp_path / f"conditional-{number}.yaml").write_text(text)
        ran = creg("run", f"conditional-{number}.yaml", "--workdir", workdir, "--format", "json", cwd=tmp_path)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        phases = {n["id"].split(".")[-1]: n["phase"] for n in json.loads(ran.stdout)["nodes"]}
        assert phases[f"process-{branch}"] == "Succeeded"
        assert [t for t in ("small", "medium", "large") if phases.get(f"process-{t}") == "Succeeded"] == [branch]
        logs = "".join(p.read_text() for p in (tmp_path / workdir).rglob("log.txt"))
        assert f"Processing {branch} result {number}" in logs


# --- every annotation kind -------------------------------------------------------------------


EXPECTED: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "untyped": ([{"name": "a"}, {"name": "b", "default": "3", "optional": True}, {"name": "c", "optional": True},
                 {"name": "d", "default": "x", "optional": True}], []),
    "simple_types": ([{"name": "i", "type": "Integer", "description": "An integer."},
                      {"name": "f", "type": "Float", "description": "A float,\non two lines."},
                      {"name": "s", "type": "String", "description": "A string with its type."},
                      {"name": "b", "type": "Boolean", "description": "A boolean."},
                      {"name": "l", "type": "JsonArray"}, {"name": "d", "type": "JsonObject"}],
                     [{"name": "Output", "type": "String"}]),
    "defaults": ([{"name": "count", "type": "Integer", "default": "5", "optional": True},
                  {"name": "ratio", "type": "Float", "default": "0.5", "optional": True},
                  {"name": "zero", "type": "Float", "default": "0", "optional": True},
                  {"name": "name", "type": "String", "default": "abc", "optional": True},
                  {"name": "flag", "type": "Boolean", "default": "True", "optional": True},
                  {"name": "items", "type": "JsonArray", "default": '["a", 1]', "optional": True},
                  {"name": "config", "type": "JsonObject", "default": '{"a": [true, null], "z": 1}', "optional": True},
                  {"name": "nothing", "type": "String", "optional": True},
                  {"name": "threshold", "type": "Float", "default": "0.25", "optional": True},
                  {"name": "negative", "type": "Integer", "default": "-3", "optional": True}],
                 [{"name": "Output", "type": "JsonObject"}]),
    "optionals": ([{"name": "a", "type": "Integer", "optional": True}, {"name": "b", "type": "String", "optional": True},
                   {"name": "c", "type": "Float", "optional": True}, {"name": "d", "type": "bool | None", "optional": True},
                   {"name": "e", "type": "JsonObject", "default": '{"k": "v"}', "optional": True}],
                  [{"name": "Output", "type": "JsonArray"}]),
    "generics": ([{"name": "a", "type": "typing.List[int]"}, {"name": "b", "type": "typing.Dict[str, int]"},
                  {"name": "c", "type": "typing.List[typing.Dict[str, int]]"}, {"name": "d", "type": "typing.List"},
                  {"name": "e", "type": "CustomType"}, {"name": "f", "type": "Any"}],
                 [{"name": "Output", "type": "typing.List[int]"}]),
    "files": ([{"name": "data", "type": "CSV"}, {"name": "model", "type": "Model"}, {"name": "notes"},
               {"name": "plain"}, {"name": "typed", "type": "JsonArray"},
               {"name": "optional", "type": "CSV", "optional": True}],
              [{"name": "result", "type": "CSV"}, {"name": "blob"}, {"name": "log", "type": "Text"},
               {"name": "extra"}, {"name": "rows", "type": "Integer"}, {"name": "note", "type": "String"},
               {"name": "result_2", "type": "URI"}]),
    "no_return": ([{"name": "data", "type": "Integer"}], []),
    "returns_none": ([{"name": "data", "type": "Integer"}], []),
    "class_tuple": ([{"name": "names", "type": "JsonArray"}],
                    [{"name": "count", "type": "Integer"}, {"name": "names", "type": "JsonArray"},
                     {"name": "ratio", "type": "Float"}]),
    "collision": ([{"name": "model"}], [{"name": "out"}, {"name": "model", "type": "M"},
                                        {"name": "Output", "type": "String"}]),
    "decorated": ([{"name": "x", "type": "Integer"}], [{"name": "Output", "type": "Integer"}]),
    "odd_builtins": ([{"name": "a", "type": "set"}, {"name": "b", "type": "bytes", "optional": True},
                      {"name": "c", "type": "complex", "optional": True}, {"name": "d", "type": "tuple", "optional": True}],
                     [{"name": "Output", "type": "bytes"}]),
}


@pytest.mark.parametrize("func", sorted(EXPECTED))
def test_every_annotation_kind_gets_kfps_interface(func: str) -> None:
    spec = function_to_spec(ANNOTATIONS, func)
    assert (ports(spec, "inputs"), ports(spec, "outputs")) == EXPECTED[func]
    assert spec["name"] == func[:1].upper() + func[1:].replace("_", " ")


def test_names_and_descriptions_follow_kfp() -> None:
    assert function_to_spec(ANNOTATIONS, "simple_types")["description"] == "Echoes every simple type."
    assert "description" not in function_to_spec(ANNOTATIONS, "defaults")
    doc = "Line one\n    continues.\n\n    Args:\n        a (int): First.\n        b: Second,\n            longer.\n    Raises:\n        ValueError: never."
    assert summary(doc) == "Line one" and argument_docs(doc) == {"a": "First.", "b": "Second,\nlonger."}
    twice = "Top.\n\nArgs:\nStray text ends the first section.\n\nArgs:\n  x: From the second."
    assert argument_docs(twice) == {"x": "From the second."}  # docstring_parser keeps the last section
    assert argument_docs("Top.\n\nArgs:\n  x has no colon") == {}  # malformed: no descriptions at all
    rest = "Short.\n\n:param a: first\n:param int b: second\n    more\n:type a: int\n:returns: x"
    assert (summary(rest), argument_docs(rest)) == ("Short.", {"a": "first", "b": "second\nmore"})
    both = "Short.\n\nArgs:\n    a: google a\n\n:param a: rest a"  # one entry each: ReST wins the tie
    assert argument_docs(both) == {"a": "rest a"}
    more_google = "Short.\n\n:param a: first\n\nArgs:\n    a: google a\n    b: google b"
    assert argument_docs(more_google) == {"a": "google a", "b": "google b"}  # the style with more entries


def test_defaults_kfp_cannot_write_leave_the_input_optional_with_a_warning(tmp_path: Path) -> None:
    ((_, converted),) = convert_file(ANNOTATIONS, "odd_builtins", tmp_path / "odd.yaml")
    lines = [w.format().replace(str(FROMFUNC) + "/", "") for w in converted.warnings]
    assert [line.split(": warning: ")[0] for line in lines] == ["annotations.py:103:26", "annotations.py:103:43",
                                                                "annotations.py:103:60"]
    assert "the default b'x' cannot be written as type 'bytes'" in lines[0]


def test_file_inputs_and_outputs_run_as_paths_and_streams(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, ANNOTATIONS, "files")
    (tmp_path / "data.csv").write_text("a\nb\nc\n")
    (tmp_path / "model.bin").write_bytes(b"\x00\x01\xff")
    (tmp_path / "notes.txt").write_text(" quiet words \n")
    values = {"data": str(tmp_path / "data.csv"), "model": str(tmp_path / "model.bin"),
              "notes": str(tmp_path / "notes.txt"), "plain": "-starts-with-dash", "typed": "[1]"}
    out = run_component(spec_file, values, tmp_path)
    assert out["result"] == "c\nb\na" and out["log"] == " QUIET WORDS \n" and out["extra"] == "-starts-with-dash|[1]|None"
    assert (tmp_path / "outputs" / "blob" / "data").read_bytes() == b"\xff\x01\x00"
    assert (out["rows"], out["note"], out["result_2"]) == ("3", "quiet words", "uri://3")
    with_optional = run_component(spec_file, {**values, "optional": "opt.csv"}, tmp_path)
    assert with_optional["extra"].endswith("|opt.csv")


def test_values_are_read_and_written_as_kfps_launcher_does(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, ANNOTATIONS, "simple_types")
    values = {"i": "-4", "f": "2.5", "s": "--text", "b": "yes", "l": '[3, "x"]', "d": '{"z": 1, "a": 2}'}
    assert json.loads(run_component(spec_file, values, tmp_path)["Output"]) == [-4, 2.5, "--text", True, [3, "x"],
                                                                               {"a": 2, "z": 1}]
    assert run_component(spec_file, {**values, "b": "off"}, tmp_path)["Output"].startswith("[-4, 2.5, \"--text\", false")
    failed = run_component(spec_file, {**values, "b": "maybe"}, tmp_path, ok=False)
    assert "Simple types: error: --b: invalid truth value 'maybe'" in failed["stderr"]
    no_pip = convert(tmp_path, ANNOTATIONS, "defaults", packages=())  # its call installs pandas: not here
    outputs = run_component(no_pip, {"config": '{"b": 1, "a": 0}'}, tmp_path)
    assert outputs["Output"].startswith('{"config": {"a": 0, "b": 1}, "count": 5,')  # JSON with sorted keys


def test_optional_input_given_and_omitted(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, TYPED, "shout")
    assert run_component(spec_file, {"text": "hi"}, tmp_path)["Output"] == "HI"
    assert run_component(spec_file, {"text": "hi", "times": "3"}, tmp_path)["Output"] == "HIHIHI"


def test_function_without_outputs_runs_and_fails_loudly(tmp_path: Path) -> None:
    spec_file = convert(tmp_path, TYPED, "nothing")
    spec = load_component_from_file(spec_file)
    assert spec.outputs == ()
    run_component(spec_file, {"flag": "false"}, tmp_path)
    assert "flag was set" in run_component(spec_file, {"flag": "true"}, tmp_path, ok=False)["stderr"]


def test_parameters_named_like_options_and_colliding_names_run(tmp_path: Path) -> None:
    source = tmp_path / "funcs.py"
    source.write_text("def shout(help: str, h: int = 2) -> str:\n    return help * h\n")
    spec_file = convert(tmp_path, source, "shout")
    assert [i.name for i in load_component_from_file(spec_file).inputs] == ["help", "h"]
    assert run_component(spec_file, {"help": "ab", "h": "3"}, tmp_path)["Output"] == "ababab"
    (tmp_path / "in.bin").write_text("weights")
    out = run_component(convert(tmp_path, ANNOTATIONS, "collision"), {"model": str(tmp_path / "in.bin")}, tmp_path)
    assert out == {"out": "file", "model": "weights", "Output": "returned"}  # input and output 'model' apart


# --- the file's own calls ----------------------------------------------------------------------


def test_the_files_calls_give_image_packages_and_output_file(tmp_path: Path) -> None:
    source = tmp_path / "annotations.py"
    source.write_bytes(ANNOTATIONS.read_bytes())
    result = creg("component", "from-func", str(source))
    assert result.returncode == 0, result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()] == [
        str(tmp_path / name) for name in ("decorated.component.yaml", "untyped.yaml", "simple.yaml",
                                          "defaults.component.yaml")]
    images = {name: yaml.safe_load((tmp_path / name).read_text())["implementation"]["container"]
              for name in ("untyped.yaml", "simple.yaml", "defaults.component.yaml")}
    assert [c["image"] for c in images.values()] == ["python:3.7", "python:3.9", "python:3.7"]
    assert images["defaults.component.yaml"]["command"][:2] == ["sh", "-c"]
    assert "pip install --quiet --no-warn-script-location pandas==1.0.5" in images["defaults.component.yaml"]["command"][2]
    several = creg("component", "from-func", str(source), "-o", str(tmp_path / "one.yaml"))
    assert several.returncode == 2 and "makes 4 components" in several.stderr and not (tmp_path / "one.yaml").exists()


def test_options_override_the_call_and_function_picks_one(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    result = creg("component", "from-func", f"{ANNOTATIONS}:simple_types", "-o", str(out), "--base-image", "python:3.12",
                  "--packages", "six numpy")
    assert result.returncode == 0, result.stderr
    container = yaml.safe_load(out.read_text())["implementation"]["container"]
    assert container["image"] == "python:3.12" and "numpy" in container["command"][2]
    spec = function_to_spec(ANNOTATIONS, "simple_types")  # its call's image without options
    assert spec["implementation"]["container"]["image"] == "python:3.9"


def test_decorators_name_image_description_and_file(tmp_path: Path) -> None:
    source = tmp_path / "decorators.py"
    source.write_bytes((FROMFUNC / "decorators.py").read_bytes())
    targets = convert_file(source)
    assert [(path.name, c.data["name"], c.data["implementation"]["container"]["image"]) for path, c in targets] == [
        ("whisper.component.yaml", "Whisper", "python:3.12"), ("shout.yaml", "Shouter", "python:3.10-slim")]
    assert targets[1][1].data["description"] == "Says it louder."
    assert targets[0][1].data["inputs"] == [{"name": "text", "type": "String", "description": "What to say."}]
    assert "six" in targets[0][1].data["implementation"]["container"]["command"][2]
    lone = tmp_path / "lone.py"  # no call converts it: FILE.py:FUNCTION still reads the decorator
    lone.write_text("from kfp import dsl\n\n\n@dsl.python_component(name='Lone', base_image='python:3.11-slim')\n"
                    "def lone(x: int) -> int:\n    return x\n")
    alone = function_to_spec(lone, "lone")
    assert (alone["name"], alone["implementation"]["container"]["image"]) == ("Lone", "python:3.11-slim")


def test_calls_that_need_running_are_reported_with_positions(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        convert_file(FROMFUNC / "unreadable_calls.py")
    lines = [p.format().replace(str(FROMFUNC) + "/", "") for p in caught.value.problems]
    assert [line.split(": error: ")[0] for line in lines] == [
        "unreadable_calls.py:19:47", "unreadable_calls.py:20:51", "unreadable_calls.py:21:58",
        "unreadable_calls.py:22:28", "unreadable_calls.py:23:38", "unreadable_calls.py:24:48",
        "unreadable_calls.py:25:47", "unreadable_calls.py:26:42"]
    assert "argument 'base_image' is computed (`get_image()`)" in lines[0]
    assert "is computed (`'pandas==' + VERSION`)" in lines[1] and "(`VERSION`)" in lines[6]
    assert "'lambda x: x' is not a function defined at the top level" in lines[3]
    assert "unknown argument 'image' (did you mean 'base_image'?)" in lines[7]
    result = creg("component", "from-func", str(FROMFUNC / "unreadable_calls.py"), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stdout == ""
    assert "unreadable_calls.py:19:47: error:" in result.stderr and not list(FROMFUNC.glob("*.yaml"))


@pytest.mark.parametrize("func, expected", [
    ("positional_only", ["refused.py:5:21: error: positional_only(): parameter 'a' is positional-only"]),
    ("output_default", ["refused.py:9:48: error: output_default(): parameter 'result_path': OutputPath() "
                        "parameters take no default"]),
    ("text_file_default", ["refused.py:13:53: error: text_file_default(): parameter 'notes_file': InputTextFile()"]),
    ("waits", ["refused.py:17:1: error: waits(): async functions cannot be components"]),
    ("star_args", ["refused.py:21:16: error: star_args(): '*values' cannot become inputs",
                   "refused.py:21:31: error: star_args(): '**options' cannot become inputs"]),
    ("computed_default", ["refused.py:25:31: error: computed_default(): parameter 'a': the default must be a literal"]),
])
def test_functions_that_cannot_run_are_refused_with_positions(func: str, expected: list[str]) -> None:
    with pytest.raises(FromFuncError) as caught:
        function_to_spec(FROMFUNC / "refused.py", func)
    lines = [p.format().replace(str(FROMFUNC) + "/", "") for p in caught.value.problems]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected):
        assert line.startswith(start), (line, start)


def test_module_level_names_convert_with_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "x.yaml"
    result = creg("component", "from-func", f"{BAD}:uses_globals", "-o", str(out))
    assert result.returncode == 0 and out.exists(), result.stderr
    assert "bad_functions.py:19:12: warning: uses_globals(): uses 'os', a name from outside" in result.stderr
    assert "bad_functions.py:19:35: warning: uses_globals(): uses 'LIMIT'" in result.stderr


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
    failed = creg("component", "from-func", f"{BAD}:star_args", "-o", str(tmp_path / "x.yaml"))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "bad_functions.py:10:16" in failed.stderr and not (tmp_path / "x.yaml").exists()


def test_a_spec_creg_would_refuse_is_reported_at_the_function(tmp_path: Path) -> None:
    source = tmp_path / "clash.py"
    source.write_text("from kfp.components import OutputPath\n\n\n"
                      "def clash(output_path: OutputPath()) -> str:\n    return 'x'\n")
    with pytest.raises(FromFuncError) as caught:
        convert_file(source, "clash", tmp_path / "clash.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (4, 1) and "output 'Output' and output 'output'" in problem.message
    assert not (tmp_path / "clash.yaml").exists()


def test_call_arguments_may_name_module_constants_extra_code_and_annotations(tmp_path: Path) -> None:
    source = tmp_path / "ops.py"
    source.write_text(
        "from kfp.components import func_to_container_op\n\n"
        "IMAGE = 'python:3.10'\nPACKAGES = ('six==1.16.0',)\n\n\n"
        "def scaled(x: int) -> int:\n    return x * FACTOR\n\n\n"
        "func_to_container_op(scaled, 'scaled.yaml', IMAGE, 'FACTOR = 3', PACKAGES,\n"
        "                     annotations={'author': 'me'})\n")
    ((path, converted),) = convert_file(source)
    assert path == tmp_path / "scaled.yaml"
    data = converted.data
    container = data["implementation"]["container"]
    assert (container["image"], data["metadata"]) == ("python:3.10", {"annotations": {"author": "me"}})
    assert "six==1.16.0" in container["command"][2]
    assert converted.warnings == ()  # FACTOR comes with the extra code
    no_pip = convert(tmp_path, source, "scaled", packages=())
    assert run_component(no_pip, {"x": "4"}, tmp_path)["Output"] == "12"  # extra_code runs before the function


def test_odd_annotations_convert_as_kfp_names_them_or_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "odd.py"
    source.write_text(
        "import typing as t\nfrom typing import NamedTuple\n\n\n"
        "def fine(x: {'GCSPath': {'data_type': 'CSV'}} = 'gs://b/f', y: {1: 2} = None, z: t.Literal['a', 'b'] = 'a',\n"
        "         k: t.Callable[[int], str] = None, w: int | None = None) -> {'a': int, 'b': 'URI'}:\n"
        "    return (1, 'u')\n\n\n"
        "def bad_fields() -> NamedTuple('X', [('a',), ('b', int)]):\n    return (1,)\n")
    spec = function_to_spec(source, "fine")
    assert [(i["name"], i["type"]) for i in spec["inputs"]] == [
        ("x", {"GCSPath": {"data_type": "CSV"}}), ("y", "{1: 2}"), ("z", "typing.Literal['a', 'b']"),
        ("k", "typing.Callable[[int], str]"), ("w", "Integer")]  # KFP 1.8.22 (before X | None) says 'int | None'
    assert spec["outputs"] == [{"name": "a", "type": "Integer"}, {"name": "b", "type": "URI"}]  # KFP's dict form
    with pytest.raises(FromFuncError) as caught:
        function_to_spec(source, "bad_fields")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (10, 38) and "expected ('name', type)" in problem.message


def test_file_outputs_feed_file_inputs_in_a_pipeline_run(tmp_path: Path) -> None:
    (tmp_path / "files.py").write_text(
        "from kfp.components import InputPath, OutputPath, OutputTextFile, create_component_from_func\n\n\n"
        "def write_lines(count: int, table_path: OutputPath('CSV'), note_file: OutputTextFile()):\n"
        "    with open(table_path, 'w') as handle:\n"
        "        handle.write(''.join('row %d\\n' % i for i in range(count)))\n"
        "    note_file.write('wrote %d' % count)\n\n\n"
        "def count_lines(table_path: InputPath('CSV')) -> int:\n"
        "    with open(table_path) as handle:\n"
        "        return len(handle.read().splitlines())\n\n\n"
        "create_component_from_func(write_lines, output_component_file='write.yaml')\n"
        "create_component_from_func(count_lines, output_component_file='count.yaml')\n")
    assert creg("component", "from-func", "files.py", cwd=tmp_path).returncode == 0
    (tmp_path / "pipeline.yaml").write_text(
        "name: files\ntasks:\n  write:\n    component: ./write.yaml\n    args: {count: 4}\n"
        "  count:\n    component: ./count.yaml\n    args: {table: {output: write.table}}\n")
    ran = creg("run", "pipeline.yaml", "--workdir", "run", "--format", "json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    nodes = {n["id"]: n for n in json.loads(ran.stdout)["nodes"]}
    assert Path(nodes["files.count"]["artifacts"]["output"]).read_text() == "4"
    assert Path(nodes["files.write"]["artifacts"]["table"]).read_text() == "row 0\nrow 1\nrow 2\nrow 3\n"
    assert Path(nodes["files.write"]["artifacts"]["note"]).read_text() == "wrote 4"
