"""The ``creg`` command: parse arguments, call one library function, report, exit.

Sub-commands live one per module in ``registry.commands`` and are imported only when
used, so ``creg --help`` never pays for jsonschema, jinja2 or requests.

Only this package knows flags and exit codes.  A library error that mentions an argument
names the function's parameter (``registry_dir``); the report spells it as the running
command's flag for that parameter (``--to``), and the error's class picks the exit code.
"""

from __future__ import annotations

import importlib
import os
import importlib.util
import sys
import warnings
from typing import Any, Callable, Iterable

import click

from registry.commands._output import printable
from registry.errors import ArgumentError, CregError, CregWarning, respell

# name -> (module in registry.commands, short help).  Keep the help here so that
# `creg --help` can list commands without importing them.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "Validate component.yaml files (or folders of them)."),
    "show": ("show", "Show a component's interface, image and digest."),
    "search": ("search", "Search the registries for components."),
    "versions": ("versions", "List the versions of a component."),
    "pull": ("pull", "Fetch components into the cache and verify them."),
    "registry": ("registry_cmd", "List, add or remove registries."),
    "cache": ("cache", "List, verify or clean the download cache."),
    "lock": ("lock", "Pin every component reference in creg.lock."),
    "outdated": ("outdated", "Show component references that have newer versions."),
    "upgrade": ("upgrade", "Move component references to newer versions in place."),
    "who-uses": ("who_uses", "List the pipelines that use a component."),
    "compile": ("compile", "Compile a pipeline into an Argo Workflow."),
    "lint": ("lint", "Check a pipeline and report every problem."),
    "graph": ("graph", "Draw a pipeline's task graph (dot, mermaid, svg, png)."),
    "new": ("new", "Scaffold a new component."),
    "component": ("component", "Build components from other sources (Python functions)."),
    "publish": ("publish", "Publish a component version to a registry folder."),
    "deprecate": ("deprecate", "Deprecate a published component version."),
    "index": ("index_cmd", "Build or extend a registry index."),
    "run": ("run", "Run a pipeline on this machine."),
    "submit": ("submit", "Create a compiled pipeline on an Argo Server."),
    "runs": ("runs", "List, inspect, follow, stop, retry and delete runs."),
    "experiments": ("experiments", "List experiments and their runs."),
    "schedules": ("schedules", "List, suspend, resume or delete scheduled pipelines on Argo."),
}


class Settings:
    """Global options, handed to every command as ``ctx.obj``.

    A plain class rather than a dataclass: importing dataclasses is a visible share of
    the CLI's start-up time.
    """

    def __init__(self, registries: Iterable[str] = (), offline: bool = False, traceback: bool = False,
                 allow_rollback: bool = False) -> None:
        self.registries = list(registries)
        self.offline = offline
        self.traceback = traceback
        self.allow_rollback = allow_rollback


# The first class an error is an instance of gives the exit code.
EXIT_CODES: tuple[tuple[type[CregError], int], ...] = ((ArgumentError, 2), (CregError, 1))
INVOKED = "creg.invoked"  # ctx.meta key: the commands the command line named, outermost first


def exit_code(error: CregError) -> int:
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


def flag_spelling(commands: list[click.Command]) -> Callable[[str], str | None]:
    """Parameter name -> how the command line spells it: ``registry_dir`` -> ``--to``.

    The innermost command's parameters win over its groups' (``--registry`` of the group).
    """
    spellings: dict[str, str] = {}
    for command in commands:
        spellings.update((param.name, _spelling(param)) for param in command.params if param.name)
    return spellings.get


def _spelling(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        return max(param.opts, key=len)  # the long form: --message, not -m
    return param.human_readable_name  # a positional argument: its metavar, e.g. NAME@VERSION


class CommandGroup(click.Group):
    """A group that notes the sub-command it runs, so an error can be told in its flags."""

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            ctx.meta.setdefault(INVOKED, [ctx.find_root().command]).append(command)
        return name, command, rest


class LazyGroup(CommandGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._available())

    def _available(self) -> dict[str, tuple[str, str]]:
        return {name: entry for name, entry in COMMANDS.items()
                if importlib.util.find_spec(f"registry.commands.{entry[0]}") is not None}

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = self._available().get(name)
        if entry is None:
            return None
        module = importlib.import_module(f"registry.commands.{entry[0]}")
        return getattr(module, "command")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry[1]) for name, entry in sorted(self._available().items())]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", CregWarning)
                try:
                    return super().invoke(ctx)
                finally:
                    _report_warnings(caught, invoked_spelling(ctx))
        except CregError as exc:
            if _wants_traceback(ctx):
                raise
            click.echo(printable(exc.respelled(invoked_spelling(ctx))), err=True)
            ctx.exit(exit_code(exc))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug in creg: never dressed up as the user's mistake
            if _wants_traceback(ctx):
                raise
            click.echo(printable(crash_message(exc)), err=True)
            ctx.exit(CRASH_EXIT_CODE)


CRASH_EXIT_CODE = 3  # 1: the input is wrong, 2: the command line is, 3: creg is


def crash_message(exc: Exception) -> str:
    """One line about an unexpected error, with no secret from the environment in it."""
    from registry.sources.fetch import redact  # lazy: start-up (only a crash needs it)

    secrets = [os.environ[name] for name in ("ARGO_TOKEN",) if os.environ.get(name)]
    detail = redact(f"{type(exc).__name__}: {exc}", secrets)[:500]
    return (f"creg: internal error ({detail}); this is a bug in creg, not in your input. "
            "Run again with --traceback to see where, and please report it.")


def _wants_traceback(ctx: click.Context) -> bool:
    settings = ctx.find_object(Settings)
    return settings is not None and settings.traceback


def invoked_spelling(ctx: click.Context) -> Callable[[str], str | None]:
    """Parameter name -> flag, for the command the command line ran."""
    return flag_spelling(ctx.meta.get(INVOKED, [ctx.command]))


def _report_warnings(caught: list[warnings.WarningMessage], spelling: Callable[[str], str | None]) -> None:
    """creg's own warnings become 'warning: ...' lines; others keep Python's format."""
    for item in caught:
        if isinstance(item.message, CregWarning):
            click.echo(printable(f"warning: {respell(str(item.message), item.message.arguments, spelling)}"), err=True)
        else:
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--registry", "registries", multiple=True, metavar="DIR_OR_URL",
              help="Search this registry (before the configured ones); repeatable.")
@click.option("--offline", is_flag=True, envvar="CREG_OFFLINE",
              help="Use the cache only; never touch the network.")
@click.option("--allow-rollback", is_flag=True, envvar="CREG_ALLOW_ROLLBACK",
              help="Accept a remote index older than one seen before (with a warning).")
@click.option("--traceback", is_flag=True, help="Show a Python traceback for errors.")
@click.version_option(package_name="creg")
@click.pass_context
def main(ctx: click.Context, registries: tuple[str, ...], offline: bool, allow_rollback: bool,
         traceback: bool) -> None:
    """creg: a registry of Kubeflow Pipelines components, compiled to Argo Workflows."""
    ctx.obj = Settings(list(registries), offline, traceback, allow_rollback)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
