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
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from saae_augment.data.augment import Augmenter
from saae_augment.distributed import World, joined, rank_device
from saae_augment.errors import UsageError
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import Ledger, claim_output, is_control_file
from saae_augment.stopsignals import stop_on_signals
from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.lines import LineSynthesizer, LineTexts, line_texts
from saae_augment.synthesis.merge import judged, merge_shards, shard_range
from saae_augment.synthesis.sampling import ContentSpec, SamplePlan, content_spec, plan
from saae_augment.synthesis.writers import LmdbWriter, PngWriter, SampleWriter, image_relpath, write_error
from saae_augment.training.checkpoint import load_checkpoint, resolve_checkpoint_path
from saae_augment.training.device import pick_device

FORMATS = ("png", "lmdb")
# What an unsharded synthesis writes into its folder (the ledger lists these; see outfolder.py).
SYNTH_ENTRIES = ["images", "labels.csv", "labels.txt", "manifest.json", "data.mdb", "lock.mdb"]
SELECT_TRIES = 8  # --select: draws per sample before the last one is kept as it is


@dataclass
class SynthResult:
    out: Path
    written: int  # samples in this shard (all of them, after a resume)
    generated_now: int  # samples made by this call
    content_accuracy: float
    elapsed_s: float
    manifest: Path
    content_cer: float | None = None  # lines: the judge's character error rate against the labels
    main: bool = True  # False on torchrun ranks other than 0 (rank 0 reports the merged result)
    status: str = "complete"  # or "interrupted" (Ctrl-C / SIGTERM): continue with --resume


def default_batch_size(device: torch.device) -> int:
    """Samples per model call when the user does not say: the output never depends on it, only
    speed and memory do (a GPU wants large batches to be busy; 2,048 lines of 32×128 in bf16
    stay within a few GB)."""
    return 2048 if device.type == "cuda" else 512


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`i/n` with 0 ≤ i < n."""
    if text is None:
        return None
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r} is not i/n (e.g. 0/4)") from None
    if not (n >= 1 and 0 <= i < n):
        raise UsageError(f"--shard {text}: need 0 <= i < n")
    return i, n


def shard_suffix(shard: tuple[int, int] | None) -> str:
    return "" if shard is None else f"-{shard[0]}-of-{shard[1]}"


def _labels_digest(labels: Sequence[str] | None) -> str | None:
    return None if labels is None else hashlib.sha256("\n".join(labels).encode()).hexdigest()


def open_synthesizer(
    ckpt: str | Path, device: torch.device, styles: str | Path | None = None, precision: str = "fp32"
) -> Synthesizer:
    """The synthesizer a checkpoint needs: characters or lines."""
    payload = load_checkpoint(resolve_checkpoint_path(ckpt))
    cls = LineSynthesizer if payload.get("task") == "lines" else Synthesizer
    return cls(ckpt, device, styles, precision, payload)


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _other_shard(ledger: Ledger) -> bool:
    """Shards of one synthesis may share a folder: another shard's files are not in our way."""
    return ledger.command == "synth" and ledger.suffix != ""


def _previous_synthesis(out: Path, manifest_name: str, resume: bool) -> dict[str, Any] | None:
    """The manifest of the synthesis `--resume` continues; None for a fresh start (empty folder)."""
    path = out / manifest_name
    if not resume:
        return None
    if not path.exists():
        listed = [p.name for p in out.iterdir() if not is_control_file(p.name)]
        if listed:
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


def _redraw_misread(
    synth: Synthesizer,
    plans: list[SamplePlan],
    images: np.ndarray,
    reads: list[str],
    tries: list[int],
    seed: int,
    spec: ContentSpec | LineTexts,
    style_mix: bool,
) -> None:
    """Selection, in place: samples the judge misreads are drawn again until read right or out of
    tries (then the last try is kept, and its row says the judge read something else)."""
    for attempt in range(1, SELECT_TRIES):
        bad = [j for j, (p, r) in enumerate(zip(plans, reads, strict=True)) if r != p.label]
        if not bad:
            return
        again = [
            plan(
                seed,
                plans[j].index,
                spec if isinstance(spec, ContentSpec) else None,
                len(synth.pool.sources),
                style_mix,
                len(synth.content_fonts),
                attempt,
                plans[j].label,
            )
            for j in bad
        ]
        new_images, new_reads = synth.generate(again)
        for j, p, img, read in zip(bad, again, new_images, new_reads, strict=True):
            plans[j], images[j], reads[j], tries[j] = p, img, read, attempt + 1


def synthesize(
    ckpt: str | Path,
    n: int,
    out: str | Path,
    seed: int = 0,
    batch_size: int | None = None,
    content: str = "uniform",
    classes: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    styles: str | Path | None = None,
    style_mix: bool = False,
    augment: str | None = None,
    fmt: str = "png",
    resume: bool = False,
    shard: tuple[int, int] | None = None,
    device: str = "auto",
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    precision: str = "auto",
    select: bool = False,
    texts: Sequence[str] | None = None,
    pattern: str | None = None,
    overwrite: bool = False,
) -> SynthResult:
    """Write samples [shard range of 0..n) of the run (`ckpt`, `seed`) to `out`.

    Output bytes depend only on the checkpoint, seed, n's sample choices and the options that
    choose content, style, augmentation and precision; never on `batch_size`, `workers`, shards
    or resumes. `precision`: fp32, bf16 (autocast; faster on CPUs with AVX512-BF16 and on GPUs),
    or auto (bf16 on CUDA, fp32 elsewhere). `select`: a sample the judge does not read as its
    label is drawn again (new style, font and warp; same label), up to SELECT_TRIES times.
    `batch_size` None: `default_batch_size` of the device. `out` must be empty or new, unless
    `resume` (continue it) or `overwrite` (replace what saae-augment wrote there; see outfolder.py).

    Under `torchrun` (WORLD_SIZE > 1) each rank writes its shard into `out` and rank 0 merges them.
    """
    args = dict(locals())
    world = World.from_env()
    if not world.distributed:
        return _write(**args)
    if shard is not None:
        raise UsageError("--shard and torchrun both split the samples; use one (under torchrun, rank i writes shard i)")
    if fmt == "lmdb":
        raise UsageError("--format lmdb is one file that one process writes; under torchrun write PNG")
    dev = rank_device(pick_device(device), world)
    t0 = time.perf_counter()
    with joined(world, dev, backend="gloo"):  # gloo: the group only waits for the shards
        mine = _write(**(args | {"shard": (world.rank, world.size), "device": dev}))
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
    )


def _write(
    ckpt: str | Path,
    n: int,
    out: str | Path,
    seed: int,
    batch_size: int | None,
    content: str,
    classes: Sequence[str] | None,
    labels: Sequence[str] | None,
    styles: str | Path | None,
    style_mix: bool,
    augment: str | None,
    fmt: str,
    resume: bool,
    shard: tuple[int, int] | None,
    device: str | torch.device,
    workers: int | None,
    on_progress: Callable[[int, int], None] | None,
    precision: str,
    select: bool,
    texts: Sequence[str] | None,
    pattern: str | None,
    overwrite: bool,
) -> SynthResult:
    """One process's part: all of it, or shard i/n."""
    if precision not in ("auto", "fp32", "bf16"):
        raise UsageError(f"--precision must be auto, fp32 or bf16, not {precision!r}")
    if n < 1:
        raise UsageError("--n must be at least 1")
    if batch_size is not None and batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if fmt not in FORMATS:
        raise UsageError(f"--format must be png or lmdb, not {fmt!r}")
    if fmt == "lmdb" and shard is not None:
        raise UsageError("--format lmdb cannot be sharded; write PNG shards and merge them")
    if augment is not None:
        Augmenter(augment)  # fail now, with one line, not in a worker thread
    out = Path(out)
    suffix = shard_suffix(shard)
    manifest_name = f"manifest{suffix}.json"
    dev = device if isinstance(device, torch.device) else pick_device(device)
    batch_size = batch_size or default_batch_size(dev)
    synth = open_synthesizer(ckpt, dev, styles, precision)
    spec: ContentSpec | LineTexts
    if synth.lines:
        if content != "uniform" or classes:
            raise UsageError(
                "--content and --classes choose classes of a character checkpoint; this one writes lines: "
                "use --texts-file, --labels-file or --pattern"
            )
        own_texts = synth.training_texts or (synth.pool.labels if styles is None else [])
        spec = line_texts(synth.charset, labels, texts, pattern, synth.recipe.data.pattern, own_texts)
        synth.check_texts(spec, seed)  # a text too long to draw is refused before anything is written
    else:
        if texts is not None or pattern is not None:
            raise UsageError("--texts-file and --pattern are for line checkpoints (plates, words); use --labels-file")
        spec = content_spec(synth.classes, content, synth.class_counts, classes, labels)
    settings = {
        "checkpoint_sha256": synth.checkpoint_sha256,
        "recipe": synth.recipe.name,
        "n": n,
        "shard": list(shard) if shard else None,
        "content": spec.describe() | {"labels_sha256": _labels_digest(labels or texts)},
        "styles": {"spec": synth.pool.spec, "pool_size": len(synth.pool.sources)},
        "style_mix": style_mix,
        "augment": augment,
        "format": fmt,
        "size": list(synth.size),
        "select": select,
        "content_fonts": synth.content_fonts,
        "content_warp": synth.warp,
        "precision": "bf16" if precision == "bf16" or (precision == "auto" and dev.type == "cuda") else "fp32",
    }
    shard_entries = [f"labels{suffix}.csv", f"labels{suffix}.txt", f"manifest{suffix}.json", "images"]
    with claim_output(
        out,
        "synth",
        shard_entries if shard else SYNTH_ENTRIES,
        resume=resume,
        overwrite=overwrite,
        suffix=suffix,
        siblings=_other_shard if shard else None,
        shared=("images",) if shard else (),
        resume_hint=", --resume to continue it",
        adopt_later=True,
    ) as folder:
        fonts_column = len(synth.content_fonts) > 1
        fields = (
            ["path", "label", "style", "seed", "judge"]
            + (["style_b", "mix"] if style_mix else [])
            + (["font"] if fonts_column else [])
            + (["tries"] if select else [])
        )
        writer_cls: type[SampleWriter] = PngWriter if fmt == "png" else LmdbWriter
        previous = _previous_synthesis(out, manifest_name, resume)
        folder.write_ledger()  # the folder is ours: new, or the synthesis we continue
        if previous is not None and (previous.get("settings") != settings or previous.get("seed") != seed):
            changed = sorted(k for k in settings if previous.get("settings", {}).get(k) != settings[k])
            raise UsageError(
                f"--resume: {out} was made with other settings ({', '.join(changed) or 'seed'}); "
                "rerun with the same options, or use another --out"
            )
        lo, hi = shard_range(n, shard)
        writer = writer_cls(out, suffix, fields, augment, workers or max(1, (os.cpu_count() or 2)))
        started = time.strftime("%Y-%m-%dT%H:%M:%S")
        where = {"checkpoint": str(synth.checkpoint_path)}

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
                plans = [
                    plan(
                        seed,
                        i,
                        spec if isinstance(spec, ContentSpec) else None,
                        len(synth.pool.sources),
                        style_mix,
                        len(synth.content_fonts),
                        label=spec.text(seed, i) if isinstance(spec, LineTexts) else None,
                    )
                    for i in range(b0, min(hi, b0 + batch_size))
                ]
                images, reads = synth.generate(plans)
                tries = [1] * len(plans)
                if select:
                    _redraw_misread(synth, plans, images, reads, tries, seed, spec, style_mix)
                rows, items = [], []
                for p, img, read, n_tries in zip(plans, images, reads, tries, strict=True):
                    path = image_relpath(p.index) if fmt == "png" else f"image-{p.index + 1:09d}"
                    row = {
                        "path": path,
                        "label": p.label,
                        "style": synth.pool.sources[p.style],
                        "seed": p.seed,
                        "judge": read,
                    }
                    if style_mix:
                        row |= {"style_b": synth.pool.sources[p.style_b], "mix": f"{p.mix:.4f}"}
                    if fonts_column:
                        row["font"] = synth.content_fonts[p.font]
                    if select:
                        row["tries"] = n_tries
                    rows.append(row)
                    items.append((p.index, img, p.aug_seed))
                writer.submit(items, rows)
                if on_progress:
                    on_progress(min(hi, b0 + batch_size) - lo, hi - lo)
        elapsed = time.perf_counter() - t0
        total, correct, char_errors, chars = judged(writer.csv_path)
        accuracy = correct / total if total else float("nan")
        line_figures = {"content_cer": round(char_errors / max(1, chars), 4)} if synth.lines else {}
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
                **line_figures,
                "content_accuracy_means": "share of rows whose judge reading (the run's classifier, trained on "
                "real images only) equals the label, read on the generator's output before post-augmentation",
            },
        )
        return SynthResult(out, total, made, accuracy, elapsed, path, line_figures.get("content_cer"), status=status)
