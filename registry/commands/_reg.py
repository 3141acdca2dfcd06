"""Helpers shared by the registry commands: building the Registry from the global options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from registry.commands._output import FORMATS

if TYPE_CHECKING:
    from registry.index.resolve import Registry

__all__ = ["FORMATS", "open_registry"]


def open_registry(ctx: click.Context, **kwargs: Any) -> "Registry":
    from registry.index.resolve import Registry

    return Registry.from_settings(ctx.obj, **kwargs)
