"""Helpers shared by the registry commands: the library's registry choice from the global options."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from registry.commands._output import FORMATS
from registry.commands.group import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from registry.api.pipelines import Pipeline
    from registry.api.registries import Registry
    from registry.index.resolve import RegistryOptions

__all__ = ["FORMATS", "global_settings", "open_pipeline", "open_registry", "registry_options"]


def global_settings(ctx: click.Context) -> Settings:
    """The group's options (defaults when a command runs without the group, as in tests)."""
    return ctx.find_object(Settings) or Settings()


def registry_options(ctx: click.Context) -> "RegistryOptions":
    """``--registry``, ``--offline`` and ``--allow-rollback`` as the library takes them."""
    from registry.index.resolve import RegistryOptions  # lazy: start-up

    settings = global_settings(ctx)
    return RegistryOptions(tuple(settings.registries), settings.offline, settings.allow_rollback)


def open_registry(ctx: click.Context) -> "Registry":
    """The registries the command searches, as the Python API's ``Registry`` (one path)."""
    from registry.api.registries import open_registry as api_registry  # lazy: start-up

    options = registry_options(ctx)
    return api_registry(options.registries, options.offline, options.allow_rollback)


def open_pipeline(ctx: click.Context, path: "str | Path") -> "Pipeline":
    """The pipeline file a command names, resolved through the registries the global options choose."""
    from registry.api.pipelines import Pipeline  # lazy: start-up

    options = registry_options(ctx)
    return Pipeline.from_file(path, registries=options.registries, offline=options.offline,
                              allow_rollback=options.allow_rollback)
