"""How the CLI talks: one console for results (stdout), one for errors and progress (stderr)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn

from saae_augment.errors import SaaeError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Show an error the user caused as one red line and exit 1; bugs keep their traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SaaeError as exc:
            several = os.environ.get("WORLD_SIZE", "1") not in ("", "1")  # under torchrun: say which process
            rank = f"(rank {os.environ.get('RANK', '?')}) " if several else ""
            err.print(f"[bold red]error:[/] {rank}{exc}", markup=True, soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def make_progress(*extra: ProgressColumn, quiet: bool = False) -> Progress:
    """Our progress bar: on stderr, only on a terminal (a log file gets plain lines instead);
    `quiet` for processes that should not draw one (torchrun ranks other than 0)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        *extra,
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; yields the `on_progress(done, total)` the library takes."""
    with make_progress() as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
