"""Helpers shared by the registry commands: building the Registry from the global options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..resolve import Registry

FORMATS = click.Choice(["text", "json", "yaml"])


def open_registry(ctx: click.Context, **kwargs: Any) -> "Registry":
    from ..resolve import Registry

    return Registry.from_settings(ctx.obj, **kwargs)
