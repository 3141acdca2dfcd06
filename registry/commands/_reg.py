"""Helpers shared by the registry commands: the library's registry choice from the global options."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from registry.commands._output import FORMATS
from registry.commands.group import Settings

if TYPE_CHECKING:
    from registry.index.resolve import Registry, RegistryOptions

__all__ = ["FORMATS", "global_settings", "open_registry", "registry_options"]


def global_settings(ctx: click.Context) -> Settings:
    """The group's options (defaults when a command runs without the group, as in tests)."""
    return ctx.find_object(Settings) or Settings()


def registry_options(ctx: click.Context) -> "RegistryOptions":
    """``--registry``, ``--offline`` and ``--allow-rollback`` as the library takes them."""
    from registry.index.resolve import RegistryOptions  # lazy: start-up

    settings = global_settings(ctx)
    return RegistryOptions(tuple(settings.registries), settings.offline, settings.allow_rollback)


def open_registry(ctx: click.Context) -> "Registry":
    from registry.index.resolve import Registry  # lazy: start-up

    return Registry.configured(registry_options(ctx))
