"""The command line as a whole: start-up stays light, errors stay clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from registry.commands.group import COMMANDS

HEAVY = ("jsonschema", "jinja2", "requests")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", *args],
                          capture_output=True, text=True, timeout=60)


def test_help_lists_every_command_without_heavy_imports() -> None:
    probe = (
        "import sys\n"
        "from registry.commands.group import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print({HEAVY!r} and [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    *help_lines, loaded = result.stdout.strip().splitlines()
    assert loaded == "[]", f"creg --help imported {loaded}"
    listed = "\n".join(help_lines)
    for name in ("validate", "show"):
        assert name in COMMANDS
        assert f"  {name}" in listed


def test_python_dash_m_and_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert "0.1.0" in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run("valdate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "valdate" in result.stderr


def test_every_listed_command_module_exposes_a_click_command() -> None:
    import importlib
    import importlib.util

    import click

    for name, (module_name, _) in COMMANDS.items():
        if importlib.util.find_spec(f"registry.commands.{module_name}") is None:
            continue  # not built yet; the lazy group hides it from --help
        command = importlib.import_module(f"registry.commands.{module_name}").command
        assert isinstance(command, click.Command), name


def test_network_guard_refuses_non_loopback() -> None:
    import socket

    import pytest

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(OSError, match="may not reach the network"):
            sock.connect(("192.0.2.1", 80))


def test_home_is_isolated(isolated_home) -> None:  # type: ignore[no-untyped-def]
    import os
    from pathlib import Path

    assert Path(os.environ["HOME"]) == isolated_home
    assert json.dumps(os.environ["CREG_CACHE_DIR"]).find(str(isolated_home)) != -1


def test_prerendered_help_matches_click(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``creg --help`` skips click; its text must be exactly what click would print."""
    import os
    from pathlib import Path

    import click

    from registry.commands import group as cli

    monkeypatch.setenv("COLUMNS", "80")
    with click.Context(cli.main, info_name="creg", **cli.main.context_settings) as ctx:
        rendered = cli.main.get_help(ctx) + "\n"
    stored = Path(cli.__file__).with_name("help.txt")
    if os.environ.get("CREG_REGEN_GOLDEN") == "1":
        stored.write_text(rendered, encoding="utf-8")
    assert stored.read_text(encoding="utf-8") == rendered, \
        "registry/commands/help.txt is stale: run CREG_REGEN_GOLDEN=1 pytest tests/test_commands_group.py"


def test_console_script_help_is_the_stored_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import shutil
    from pathlib import Path

    from registry.commands import group as cli

    script = shutil.which("creg", path=str(Path(sys.executable).parent))
    assert script is not None
    env = dict(os.environ, COLUMNS="100")
    fast = subprocess.run([script, "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert fast.returncode == 0
    assert fast.stdout == Path(cli.__file__).with_name("help.txt").read_text(encoding="utf-8")
    # A narrow terminal gets click's own wrapping instead of the stored text.
    narrow = subprocess.run([script, "--help"], capture_output=True, text=True,
                            env=dict(os.environ, COLUMNS="60"), timeout=60)
    assert narrow.returncode == 0 and "Usage: creg" in narrow.stdout


# --- only the CLI knows flags and exit codes ------------------------------------------------------


def test_library_errors_name_arguments_not_flags(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from registry.component.scaffold import scaffold
    from registry.errors import ArgumentError

    with pytest.raises(ArgumentError) as caught:
        scaffold("hello", tmp_path, image=" ")
    assert caught.value.argument == "image" and caught.value.arguments == ("image",)
    assert str(caught.value).startswith("`image`: ' ' is not an image reference")
    assert "--" not in str(caught.value)


def test_the_cli_spells_arguments_as_the_running_commands_flags() -> None:
    import click

    from registry.commands.group import flag_spelling
    from registry.errors import ArgumentError, mention

    @click.command()
    @click.argument("ref", metavar="NAME@VERSION")
    @click.option("--message", "-m")
    @click.option("--to", "registry_dir")
    def deprecate(ref: str, message: str, registry_dir: str) -> None:
        """A stand-in."""

    spelling = flag_spelling([deprecate])
    assert [spelling(n) for n in ("message", "registry_dir", "ref", "other")] == ["--message", "--to",
                                                                                  "NAME@VERSION", None]
    error = ArgumentError("registry_dir", f"x: no index.yaml here; {mention('registry_dir')} must name a folder")
    assert error.respelled(spelling) == "x: no index.yaml here; --to must name a folder"
    assert ArgumentError.bad_value("other", "bad").respelled(spelling) == "`other`: bad"  # unknown: kept


def test_exit_codes_come_from_the_error_class() -> None:
    from registry.commands.group import exit_code
    from registry.component.fromfunc import TargetError
    from registry.errors import ArgumentError, CregError, SpecError
    from registry.index.publish import PublishError

    assert exit_code(ArgumentError("image", "x")) == 2
    assert exit_code(TargetError("target", "x")) == 2
    assert [exit_code(e) for e in (CregError("x"), SpecError("x"), PublishError("x"))] == [1, 1, 1]
    assert not hasattr(CregError, "exit_code")


def test_a_nested_commands_flags_and_the_groups_flags_are_both_known(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tree = tmp_path / "tree" / "components"
    (tree / "add" / "1.0.0").mkdir(parents=True)
    result = run("index", "build", str(tmp_path / "tree"), "--prefix", "componets")
    assert result.returncode == 2 and "--prefix: 'componets' is not a folder" in result.stderr, result.stderr
    offline = run("--offline", "--registry", "https://example.invalid/reg", "versions", "add")
    assert "run once without --offline to fetch it" in offline.stderr and "`" not in offline.stderr


def test_library_messages_spell_no_flags() -> None:
    """Every string inside a call to an error class, outside the CLI, is free of ``--flag``.

    A whole command suggested in quotes (``run 'creg cache verify --fix'``) is advice about
    another command line, not a mention of an argument.
    """
    import ast
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "registry"
    transitional = {"commands"}  # the CLI is where flags are spelled
    flag = re.compile(r"(?<![-\w'])--[a-z]")
    suggested_command = re.compile(r"'creg [^']*")
    found = []
    for path in package.rglob("*.py"):
        if path.relative_to(package).parts[0] in transitional:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _names_an_error(node.func):
                found += [f"{path.name}:{text.lineno}: {text.value}" for text in ast.walk(node)
                          if isinstance(text, ast.Constant) and isinstance(text.value, str)
                          and flag.search(suggested_command.sub("", text.value))]
    assert found == []


def _names_an_error(func: object) -> bool:
    import ast

    while isinstance(func, ast.Attribute):
        if func.attr.endswith("Error"):
            return True
        func = func.value
    return isinstance(func, ast.Name) and func.id.endswith(("Error", "Mismatch"))


def test_a_bug_in_creg_is_exit_3_with_a_pointer_to_traceback(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Fault injection: the library raises what a bug would (a TypeError), not a CregError."""
    import pytest as _pytest

    from registry.commands.group import main
    from registry.component import view

    def broken(paths: object) -> object:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(view, "validate_paths", broken)
    monkeypatch.setenv("ARGO_TOKEN", "tok-s3cr3t-value")
    with _pytest.raises(SystemExit) as exited:
        main.main(["validate", "x.yaml"], prog_name="creg")
    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert "internal error (TypeError: unsupported operand" in err and "--traceback" in err
    with _pytest.raises(TypeError):
        main.main(["--traceback", "validate", "x.yaml"], prog_name="creg")


def test_the_fast_version_answer_is_clicks() -> None:
    """``creg --version`` is answered without click; ``python -m registry --version`` by click."""
    script = Path(sys.executable).with_name("creg")
    fast = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    code = "from registry.commands.group import main; main(['--version'], prog_name='creg')"
    slow = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert fast.returncode == slow.returncode == 0
    assert fast.stdout == slow.stdout == "creg, version 0.1.0\n"


# What the everyday commands must not load (each is only needed elsewhere: notebooks' HTML and
# SVG, runs, jsonschema's explanations of a "no", zip-aware resource lookup, scratch files).
# jinja2 imports tempfile itself, so only show and validate are held to that one.
NOT_FOR_EVERYDAY = ("jsonschema", "requests", "registry.api.html", "registry.api.svg", "registry.api.runs",
                    "registry.argo.runview", "importlib.resources", "textwrap", "tempfile")


def _loaded_after(argv: list[str], cwd: Path) -> list[str]:
    probe = (
        "import sys\n"
        "from registry.commands.group import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
        f"print('LOADED', [m for m in {NOT_FOR_EVERYDAY!r} if m in sys.modules], code)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=cwd)
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED") and last.endswith(" 0"), result.stdout + result.stderr
    return json.loads(last.split(" ", 1)[1].rsplit(" ", 1)[0].replace("'", '"'))


def test_everyday_commands_load_only_what_they_use(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    calculation = str(root / "examples" / "calculation.yaml")
    for argv in (["compile", calculation, "-o", "out.yaml"], ["lint", calculation]):
        assert _loaded_after(argv, tmp_path) == ["tempfile"], argv
    for argv in (["show", "add@1"], ["validate", str(root / "components" / "add" / "1.0.0" / "component.yaml")]):
        assert _loaded_after(argv, tmp_path) == [], argv
