"""`synthesize()`: N labeled samples from a checkpoint into a folder, resumable and shardable.

Shard i of n writes the contiguous index range [i·N/n, (i+1)·N/n) with global indices, into
`labels-<i>-of-<n>.csv|txt` and `manifest-<i>-of-<n>.json` (images keep their global paths), so
shards can share a folder or live on different machines; `merge_shards()` joins them into
exactly what one unsharded run writes. Under `torchrun`, rank i of n writes shard i/n and rank 0
merges once every rank is done, so the folder ends as one process would have left it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from saae_augment.core.checkpoint import load_checkpoint, resolve_checkpoint_path
from saae_augment.core.device import pick_device
from saae_augment.distributed import World, joined, rank_device
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import Ledger, claim_output, is_control_file
from saae_augment.stopsignals import stop_on_signals
from saae_augment.synthesis.batches import first_plans, make_batch, row_fields
from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.lines import LineSynthesizer
from saae_augment.synthesis.merge import judged, merge_shards, shard_range
from saae_augment.synthesis.options import SynthOptions, default_batch_size, shard_suffix
from saae_augment.synthesis.precision import choose_precision
from saae_augment.synthesis.writers import LmdbWriter, PngWriter, SampleWriter, write_error
from saae_augment.tasks import CHARS, LINES, Task, task_of_checkpoint

# What an unsharded synthesis writes into its folder (the ledger lists these; see outfolder.py).
SYNTH_ENTRIES = ["images", "labels.csv", "labels.txt", "manifest.json", "data.mdb", "lock.mdb"]

# The synthesizer each task's checkpoints need.
SYNTHESIZERS: dict[Task, type[Synthesizer]] = {CHARS: Synthesizer, LINES: LineSynthesizer}


@dataclass
class SynthResult:
    """What a synthesis wrote: counts, the judge's figures, time, manifest, and whether it finished."""

    out: Path
    written: int  # samples in this shard (all of them, after a resume)
    generated_now: int  # samples made by this call
    content_accuracy: float
    elapsed_s: float
    manifest: Path
    content_cer: float | None = None  # lines: the judge's character error rate against the labels
    main: bool = True  # False on torchrun ranks other than 0 (rank 0 reports the merged result)
    status: str = "complete"  # or "interrupted" (Ctrl-C / SIGTERM): continue with --resume
    task: Task = CHARS  # the checkpoint's: how the figures read
    resized: str | None = None  # the style pool's resize, in one line (none when it needed none)


def open_synthesizer(
    ckpt: str | Path, device: torch.device, styles: str | Path | None = None, precision: str = "fp32"
) -> Synthesizer:
    """The synthesizer the checkpoint's task needs."""
    payload = load_checkpoint(resolve_checkpoint_path(ckpt))
    return SYNTHESIZERS[task_of_checkpoint(payload)](ckpt, device, styles, precision, payload)


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _other_shard(ledger: Ledger) -> bool:
    """Shards of one synthesis may share a folder: another shard's files are not in our way."""
    return ledger.command == "synth" and ledger.suffix != ""


def _previous_synthesis(out: Path, manifest_name: str, resume: bool, ours: bool) -> dict[str, Any] | None:
    """The manifest of the synthesis `--resume` continues; None for a fresh start: an empty folder,
    or one our own earlier run was killed in before its manifest (so before its first sample)."""
    path = out / manifest_name
    if not resume:
        return None
    if not path.exists():
        listed = [p.name for p in out.iterdir() if not is_control_file(p.name)]
        if listed and not ours:
            raise UsageError(
                f"--resume: {out} holds {', '.join(sorted(listed)[:5])} but no {manifest_name}: it is not a synthesis "
                "to continue; use another --out"
            )
        return None
    previous = _read_manifest(path)
    if not isinstance(previous, dict) or previous.get("command") != "synth" or "settings" not in previous:
        raise UsageError(
            f"--resume: {path} is damaged or not a synthesis manifest, so what {out} holds cannot be trusted; "
            "start again with --overwrite, or use another --out"
        )
    return previous


def synthesize(
    ckpt: str | Path, n: int, out: str | Path, on_progress: Callable[[int, int], None] | None = None, **options: Any
) -> SynthResult:
    """`run_synthesis` with the options as keywords (the fields of `SynthOptions`)."""
    return run_synthesis(ckpt, out, SynthOptions(n=n, **options), on_progress)


def run_synthesis(
    ckpt: str | Path, out: str | Path, opts: SynthOptions, on_progress: Callable[[int, int], None] | None = None
) -> SynthResult:
    """Write samples [shard range of 0..n) of the run (`ckpt`, `opts.seed`) to `out`.

    Output bytes depend only on the checkpoint, seed, n's sample choices and the options that
    choose content, style, augmentation and precision; never on `batch_size`, `workers`, shards
    or resumes (see SynthOptions). `out` must be empty or new, unless `resume` (continue it) or
    `overwrite` (replace what saae-augment wrote there; see outfolder.py).

    Under `torchrun` (WORLD_SIZE > 1) each rank writes its shard into `out` and rank 0 merges them.
    """
    world = World.from_env()
    if not world.distributed:
        return _write(ckpt, Path(out), opts, on_progress)
    if opts.shard is not None:
        raise UsageError("--shard and torchrun both split the samples; use one (under torchrun, rank i writes shard i)")
    if opts.fmt == "lmdb":
        raise UsageError("--format lmdb is one file that one process writes; under torchrun write PNG")
    dev = rank_device(pick_device(opts.device), world)
    t0 = time.perf_counter()
    with joined(world, dev, backend="gloo"):  # gloo: the group only waits for the shards
        mine = _write(ckpt, Path(out), opts.replace(shard=(world.rank, world.size), device=dev), on_progress)
        (stopped,) = world.any(mine.status != "complete")
        if stopped:  # a shard is unfinished: nothing to merge yet
            return dataclasses.replace(mine, main=world.is_main, status="interrupted")
        world.barrier()
        if not world.is_main:
            return dataclasses.replace(mine, main=False)
        manifest = merge_shards([out], out, of=world.size, overwrite=True)  # our own shards, in place
    merged = json.loads(manifest.read_text(encoding="utf-8"))
    shards = [
        json.loads((Path(out) / f"manifest-{i}-of-{world.size}.json").read_text(encoding="utf-8"))
        for i in range(world.size)
    ]
    made = sum(m["generated_this_call"] for m in shards)
    return SynthResult(
        Path(out),
        merged["samples"],
        made,
        merged["content_accuracy"],
        time.perf_counter() - t0,  # start to merged: what the user waited for, all ranks together
        manifest,
        merged.get("content_cer"),
        task=mine.task,
        resized=mine.resized,
    )


def _write(
    ckpt: str | Path, out: Path, opts: SynthOptions, on_progress: Callable[[int, int], None] | None
) -> SynthResult:
    """One process's part: all of it, or shard i/n."""
    shard, seed = opts.shard, opts.seed
    suffix = shard_suffix(shard)
    manifest_name = f"manifest{suffix}.json"
    dev = opts.device if isinstance(opts.device, torch.device) else pick_device(opts.device)
    batch_size = opts.batch_size or default_batch_size(dev)
    synth = open_synthesizer(ckpt, dev, opts.styles, opts.precision)
    spec = synth.task.content_plan(synth, opts)
    synth.check_content(spec, seed)  # a text too long to draw is refused before anything is written
    settings = {
        "checkpoint_sha256": synth.checkpoint_sha256,
        "recipe": synth.recipe.name,
        "n": opts.n,
        "shard": list(shard) if shard else None,
        "content": spec.describe() | {"labels_sha256": opts.labels_digest()},
        "styles": {"spec": synth.pool.spec, "pool_size": len(synth.pool.sources), "resized": synth.pool.resized},
        "style_mix": opts.style_mix,
        "augment": opts.augment,
        "format": opts.fmt,
        "size": list(synth.size),
        "select": opts.select,
        "content_fonts": synth.content_fonts,
        "content_warp": synth.warp,
        "precision": None,  # chosen once the folder says whether this resumes a run (below)
        "judge_precision": synth.judge_precision,
    }
    shard_entries = [f"labels{suffix}.csv", f"labels{suffix}.txt", f"manifest{suffix}.json", "images"]
    with claim_output(
        out,
        "synth",
        shard_entries if shard else SYNTH_ENTRIES,
        resume=opts.resume,
        overwrite=opts.overwrite,
        suffix=suffix,
        siblings=_other_shard if shard else None,
        shared=("images",) if shard else (),
        resume_hint=", --resume to continue it",
        adopt_later=True,
    ) as folder:
        writer_cls: type[SampleWriter] = PngWriter if opts.fmt == "png" else LmdbWriter
        previous = _previous_synthesis(out, manifest_name, opts.resume, folder.owned_before)
        folder.write_ledger()  # the folder is ours: new, or the synthesis we continue
        began = (previous or {}).get("settings", {}).get("precision")
        plans = lambda k: first_plans(synth, spec, opts, k)  # noqa: E731
        chosen = choose_precision(synth, opts.precision, opts.n, plans, resumed=began)
        settings["precision"] = chosen.precision
        if previous is not None and (previous.get("settings") != settings or previous.get("seed") != seed):
            changed = sorted(k for k in settings if previous.get("settings", {}).get(k) != settings[k])
            raise UsageError(
                f"--resume: {out} was made with other settings ({', '.join(changed) or 'seed'}); "
                "rerun with the same options, or use another --out"
            )
        lo, hi = shard_range(opts.n, shard)
        workers = opts.workers or max(1, (os.cpu_count() or 2))
        writer = writer_cls(out, suffix, row_fields(synth, opts), opts.augment, workers)
        started = time.strftime("%Y-%m-%dT%H:%M:%S")
        where = {"checkpoint": str(synth.checkpoint_path), "task": synth.task.name, "precision": chosen.record()}

        def record(extra: dict[str, Any]) -> Path:
            """The manifest, or one line saying why it cannot be written (a full disk, say)."""
            try:
                return write_manifest(out, "synth", settings, seed, manifest_name, where | extra)
            except OSError as exc:
                raise write_error(out, writer.committed, exc) from None

        try:
            done = writer.start(resume=previous is not None)
        except OSError as exc:
            raise write_error(out, 0, exc) from None
        record({"status": "running", "started": started})

        if done > hi - lo:
            raise UsageError(
                f"--resume: {out} lists {done:,} samples, more than the {hi - lo:,} this run writes; its label files "
                "were damaged (two writers at once?): start again with --overwrite"
            )
        t0 = time.perf_counter()
        start = lo + done
        stop = threading.Event()
        with contextlib.ExitStack() as stack:
            stack.callback(writer.close)
            stack.enter_context(stop_on_signals(stop, escalate=not World.from_env().distributed))
            for b0 in range(start, hi, batch_size):
                if stop.is_set():
                    break  # Ctrl-C / SIGTERM: the batches in hand are written, the manifest says so
                items, rows = make_batch(synth, spec, opts, range(b0, min(hi, b0 + batch_size)))
                writer.submit(items, rows)
                if on_progress:
                    on_progress(min(hi, b0 + batch_size) - lo, hi - lo)
        elapsed = time.perf_counter() - t0
        total, correct, char_errors, chars = judged(writer.csv_path)
        accuracy = correct / total if total else float("nan")
        task_figures = synth.task.synth_figures(char_errors, chars)
        made = total - done
        status = "complete" if total == hi - lo else "interrupted"
        path = record(
            {
                "status": status,
                "started": started,
                "samples": total,
                "generated_this_call": made,
                "resumed_from": done if done else None,
                "elapsed_s": round(elapsed, 2),
                "images_per_s": round(made / elapsed, 1) if elapsed > 0 else None,
                "content_accuracy": round(accuracy, 4),
                **task_figures,
                "content_accuracy_means": "share of rows whose judge reading (the run's classifier, trained on "
                "real images only) equals the label, read on the generator's output before post-augmentation",
            },
        )
        return SynthResult(
            out,
            total,
            made,
            accuracy,
            elapsed,
            path,
            task_figures.get("content_cer"),
            status=status,
            task=synth.task,
            resized=synth.pool.resized,
        )
