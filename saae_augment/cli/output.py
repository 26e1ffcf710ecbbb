"""How the CLI talks: one console for results (stdout), one for errors and progress (stderr)."""

from __future__ import annotations

import errno
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn

from saae_augment.errors import SaaeError

# markup off: labels, paths and messages are user text ("Y[/i]", "nope[red]dir") and must print as
# they are; the few styled lines opt in with markup=True and escape what they interpolate.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

F = TypeVar("F", bound=Callable[..., Any])
PLAIN_EVERY_S = 5.0


def utf8_streams() -> None:
    """Labels are often Chinese: print them in UTF-8 even where the locale says ASCII."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def stdout_failed(exc: OSError) -> bool:
    """Whether `exc` came from standard output (gone, or full): writing to it again fails too."""
    if exc.errno not in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT):
        return False
    try:
        sys.stdout.write("\n")
        sys.stdout.flush()
    except OSError:
        return True
    return False


def detach_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's own last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def user_errors(func: F) -> F:
    """Show an error the user caused as one red line and exit 1; bugs keep their traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SaaeError as exc:
            several = os.environ.get("WORLD_SIZE", "1") not in ("", "1")  # under torchrun: say which process
            rank = f"(rank {os.environ.get('RANK', '?')}) " if several else ""
            err.print(f"[bold red]error:[/] {rank}{escape(str(exc))}", markup=True, soft_wrap=True, highlight=False)
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


class PlainProgress:
    """Where stderr is a log file or a pipe there is no bar: a plain line every PLAIN_EVERY_S
    seconds (and at the end) says how far a long command has got and how fast it goes."""

    def __init__(self, what: str, unit: str, every_s: float = PLAIN_EVERY_S):
        self.what, self.unit, self.every_s = what, unit, every_s
        self.t0 = self.last = time.monotonic()
        # a resumed run starts past 0: the rate is measured from the first report on, when there is one
        self.first: tuple[int, float] | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = (done, now)
        if now - self.last < self.every_s and done < total:
            return
        self.last = now
        base, since = self.first if done > self.first[0] else (0, self.t0)
        rate = (done - base) / (now - since) if now > since else 0.0
        err.print(f"{self.what}: {done:,}/{total:,} {self.unit} ({done / max(total, 1):.0%}), {rate:,.0f}/s")


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; yields the `on_progress(done, total)` the library takes."""
    with make_progress() as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
