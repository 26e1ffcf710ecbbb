"""The `saae-augment` Typer app: wires each command module in, and `--version`."""

from __future__ import annotations

import sys

import typer

from saae_augment._version import __version__
from saae_augment.cli import data as data_cmd
from saae_augment.cli import evalgen as evalgen_cmd
from saae_augment.cli import evalocr as evalocr_cmd
from saae_augment.cli import pretrain as pretrain_cmd
from saae_augment.cli import render as render_cmd
from saae_augment.cli import synth as synth_cmd
from saae_augment.cli import train as train_cmd
from saae_augment.cli.output import detach_stdout, err, stdout_failed, utf8_streams

app = typer.Typer(
    name="saae-augment",
    help="Realistic, correctly labeled OCR training images in the style of your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.command("render")(render_cmd.render)
app.command("train")(train_cmd.train)
app.command("pretrain")(pretrain_cmd.pretrain)
app.command("synth")(synth_cmd.synth)
app.command("synth-merge")(synth_cmd.synth_merge)
app.command("eval-ocr")(evalocr_cmd.eval_ocr)
app.command("eval-gen")(evalgen_cmd.eval_gen)
app.add_typer(data_cmd.app, name="data")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"saae-augment {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool | None = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Realistic, correctly labeled OCR training images in the style of your own data."""


def main() -> None:
    """The console script: UTF-8 output whatever the locale; a reader that goes away (`| head`)
    ends the command quietly; a full stdout (`> /dev/full`) is one line, not a traceback."""
    utf8_streams()
    code: int | str | None = 0
    try:
        try:
            app()
        except SystemExit as exc:
            code = exc.code
        sys.stdout.flush()
    except BrokenPipeError:
        detach_stdout()
        code = 141  # what a shell reports for SIGPIPE
    except OSError as exc:
        if not stdout_failed(exc):
            raise
        detach_stdout()
        err.print(f"error: cannot write to standard output ({exc.strerror or exc})")
        code = 1
    sys.exit(code)
