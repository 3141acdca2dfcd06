"""Helpers shared by the registry commands: building the Registry, printing warnings."""

from __future__ import annotations

import contextlib
import warnings
from typing import TYPE_CHECKING, Any, Iterator

import click

if TYPE_CHECKING:
    from ..resolve import Registry

FORMATS = click.Choice(["text", "json", "yaml"])


def open_registry(ctx: click.Context, **kwargs: Any) -> "Registry":
    from ..resolve import Registry

    return Registry.from_settings(ctx.obj, **kwargs)


@contextlib.contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show creg's warnings (deprecations, stale indexes) as 'warning: ...' lines on stderr."""
    from ..resolve import CregWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CregWarning)
        try:
            yield
        finally:
            for item in caught:
                if issubclass(item.category, CregWarning):
                    click.echo(f"warning: {item.message}", err=True)
                else:
                    warnings.showwarning(item.message, item.category, item.filename, item.lineno)
