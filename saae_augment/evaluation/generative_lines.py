"""`eval-gen` for line runs (plates, words): what the paper's table means for whole lines.

Parzen windows over 24×96 or 64×224 pixels say little, so a line run is measured by what a
reader sees: the exact-read rate and CER of the run's judge on N samples of the run's own texts,
the copy rate (the judge reads the style image's own text instead of the one asked for), how far
samples lie from their nearest training image (memorisation), and CAS: a CRNN trained on the
samples alone, tested on held-out real lines (word accuracy and CER).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from saae_augment.core.device import pick_device
from saae_augment.core.recognizers import LineRecognizer
from saae_augment.core.textmetrics import character_error_rate, word_accuracy
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import to_tensor, to_uint8
from saae_augment.data.load import load_dataset
from saae_augment.data.sheet import contact_sheet
from saae_augment.errors import UsageError
from saae_augment.evaluation.genreport import percent
from saae_augment.evaluation.genwrite import measure_and_write
from saae_augment.evaluation.metrics import nearest_neighbours
from saae_augment.evaluation.regimes import Pool, batch_sampler
from saae_augment.synthesis.lines import LineSynthesizer
from saae_augment.synthesis.options import SynthOptions
from saae_augment.synthesis.sampling import plan

BATCH = 256
SHEET = 48
ROWS = [
    ("exact-read rate (judge reads the whole text asked for)", "content_accuracy"),
    ("character error rate of the judge on the samples", "content_cer"),
    ("copy rate (judge reads the style image's own text)", "copy_rate"),
    ("mean nearest-training-image distance, samples", "nn_distance_samples"),
    ("mean nearest-training-image distance, real test lines", "nn_distance_test"),
    ("CAS word accuracy: CRNN trained on samples only, tested on real", "cas_accuracy"),
    ("CAS character error rate", "cas_cer"),
]


def _held_out(synth: LineSynthesizer, test: Any) -> tuple[np.ndarray, list[str]]:
    """Real lines the run never trained on: `test`, or the run's own held-out split."""
    r = synth.recipe
    if test is not None:
        data = load_dataset(test, size=r.data.size, mode=r.data.mode)
        return np.stack(data.images), list(data.labels)
    cs = r.data.charset
    data = load_dataset(
        synth.pool.spec, size=r.data.size, mode=r.data.mode, charset=CHARSETS.get(cs, cs) if cs else None
    )
    _, held = synth.task.split(data.labels, r.data.val_fraction, r.train.seed)
    return np.stack([data.images[i] for i in held]), [data.labels[i] for i in held]


def measure_lines(
    ckpt: str | Path, n: int, seed: int, cas_steps: int, test: Any = None, device: str = "auto"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics, artefacts for figures) of one line run."""
    t0 = time.perf_counter()
    from saae_augment.synthesis.run import open_synthesizer

    synth = open_synthesizer(ckpt, pick_device(device))
    spec = synth.task.content_plan(synth, SynthOptions(n=n))  # the run's pattern, else its own texts
    plans = [plan(seed, i, spec, len(synth.pool.sources), False, len(synth.content_fonts)) for i in range(n)]
    images, reads = [], []
    for b in range(0, n, BATCH):
        im, rd = synth.generate(plans[b : b + BATCH])
        images.append(im)
        reads.extend(rd)
    samples = np.concatenate(images)
    asked = [p.label for p in plans]
    style_texts = [synth.pool.labels[p.style] for p in plans]
    crossed = [(r, s) for r, s, a in zip(reads, style_texts, asked, strict=True) if s and s != a]

    test_x, test_y = _held_out(synth, test)
    real = to_uint8(synth.pool.images)
    nn_s, nn_idx = nearest_neighbours(to_tensor(samples).flatten(1), to_tensor(real).flatten(1))
    nn_t, _ = nearest_neighbours(to_tensor(test_x).flatten(1), to_tensor(real).flatten(1))

    rec = LineRecognizer(synth.charset, synth.size, samples.shape[-1] if samples.ndim == 4 else 1)
    half = len(test_x) // 2
    rec.fit(
        batch_sampler(Pool(samples, asked), None, 64, seed, "cas"), test_x[:half], test_y[:half], cas_steps, None, seed
    )
    pred = rec.predict(test_x[half:])
    metrics = {
        "task": synth.task.name,
        "checkpoint": str(synth.checkpoint_path),
        "checkpoint_sha256": synth.checkpoint_sha256,
        "samples": n,
        "texts": spec.describe(),
        "n_real": len(real),
        "n_test": len(test_x) - half,
        "content_accuracy": word_accuracy(reads, asked),
        "content_cer": character_error_rate(reads, asked),
        "copy_rate": float(np.mean([r == s for r, s in crossed])) if crossed else float("nan"),
        "nn_distance_samples": float(nn_s.mean()),
        "nn_distance_test": float(nn_t.mean()),
        "cas_accuracy": word_accuracy(pred, test_y[half:]) if len(pred) else float("nan"),
        "cas_cer": character_error_rate(pred, test_y[half:]) if len(pred) else float("nan"),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    artefacts = {"samples": samples, "asked": asked, "reads": reads, "real": real, "nn_idx": nn_idx, "nn_dist": nn_s}
    return metrics, artefacts


def _figures(out: Path, a: dict[str, Any], prefix: str) -> dict[str, str]:
    k = min(SHEET, len(a["samples"]))
    labels = [f"{t} → {r}" if r != t else t for t, r in zip(a["asked"][:k], a["reads"][:k], strict=True)]
    contact_sheet(list(a["samples"][:k]), labels, columns=4).save(out / f"{prefix}samples.png")
    pairs, names = [], []
    for i in range(min(12, len(a["samples"]))):
        pairs += [a["samples"][i], a["real"][int(a["nn_idx"][i])]]
        names += [a["asked"][i], f"nn {float(a['nn_dist'][i]):.1f}"]
    contact_sheet(pairs, names, columns=4).save(out / f"{prefix}nearest.png")
    return {
        "samples (asked → read, where the judge reads otherwise)": f"{prefix}samples.png",
        "samples beside their nearest training line": f"{prefix}nearest.png",
    }


def _cell(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.4f}"


def _report(main: dict[str, Any], other: dict[str, Any] | None, figures: dict[str, str]) -> str:
    names = [Path(m["checkpoint"]).parent.parent.name for m in (main, other) if m]
    lines = ["# eval-gen: line run", "", "| metric | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    for title, key in ROWS:
        lines.append(f"| {title} | " + " | ".join(_cell(m[key]) for m in (main, other) if m) + " |")
    lines += ["", f"{main['samples']:,} samples of the run's texts ({main['texts']['mode']}); "
              f"CAS tested on {main['n_test']:,} held-out real lines."]  # fmt: skip
    for title, rel in figures.items():
        lines += ["", f"## {title}", "", f"![{title}]({rel})"]
    return "\n".join(lines) + "\n"


def evaluate_line_generator(
    ckpt: str | Path,
    out: Path,
    real: Any,
    val: Any,
    test: Any,
    n: int,
    seed: int,
    cas_steps: int,
    compare: str | Path | None,
    device: str,
) -> dict[str, Any]:
    """metrics.json, figures and report.md for a line run (and `compare`, side by side)."""
    if real is not None or val is not None:
        raise UsageError("a line run is measured on held-out real lines only: give --test, not --real/--val")
    return measure_and_write(
        out, ckpt, compare, lambda run: measure_lines(run, n, seed, cas_steps, test, device), _figures, _report
    )


def line_headline(r: dict[str, Any]) -> str:
    """One line per run for the terminal: what a user checks first."""
    return (
        f"{r['checkpoint']}: exact-read rate {r['content_accuracy']:.1%} (CER {r['content_cer']:.1%}), "
        f"copy rate {percent(r['copy_rate'])}, NN distance {r['nn_distance_samples']:.2f} (test lines "
        f"{r['nn_distance_test']:.2f}), CAS {percent(r['cas_accuracy'])} (CER {percent(r['cas_cer'])})"
    )
