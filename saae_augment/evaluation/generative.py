"""`evaluate_generator()`: the paper's quality checks for one run (and optionally a second).

Parzen log-likelihood beside the same estimator fed real training images (the reference that
gives the number meaning: Parzen scores reward blurry, average samples, Theis et al. 2016);
memorization (nearest training image of each sample); fidelity (the run's judge reads each
sample: content accuracy, copy rate); CAS (a recognizer trained on samples only, tested on
real images); and the figures: style-transfer grid, random samples, style interpolation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from saae_augment.core.checkpoint import load_checkpoint
from saae_augment.core.device import pick_device
from saae_augment.core.grids import style_transfer_grid
from saae_augment.core.recognizers import CharRecognizer
from saae_augment.data.charsets import CHARSETS
from saae_augment.data.datasets import to_tensor, to_uint8
from saae_augment.data.load import load_dataset
from saae_augment.data.sheet import contact_sheet
from saae_augment.evaluation.generative_lines import evaluate_line_generator, line_headline
from saae_augment.evaluation.genreport import character_headline, character_report
from saae_augment.evaluation.genwrite import measure_and_write
from saae_augment.evaluation.metrics import nearest_neighbours, parzen
from saae_augment.evaluation.regimes import Pool, batch_sampler
from saae_augment.outfolder import claim_output
from saae_augment.seeding import derive_seed
from saae_augment.synthesis.generate import Synthesizer
from saae_augment.synthesis.options import SynthOptions
from saae_augment.synthesis.sampling import plan
from saae_augment.tasks import CHARS, LINES, task_named, task_of_checkpoint

MEMO_PAIRS = 24


# What eval-gen writes into its folder (the ledger lists these; see outfolder.py).
GEN_ENTRIES = [
    "metrics.json",
    "report.md",
    "style-grid.png",
    "samples.png",
    "nearest.png",
    "interpolation.png",
    "compare-*.png",
]


def _images(spec: str | Path, size: tuple[int, int], mode: str) -> tuple[np.ndarray, list[str]]:
    data = load_dataset(spec, size=size, mode=mode)
    return np.stack(data.images), list(data.labels)


def _splits(synth: Synthesizer, real: Any, val: Any, test: Any) -> dict[str, tuple[np.ndarray, list[str]]]:
    """real/val/test as given, or the run's own split: its training images, and its held-out
    images halved into validation (sigma) and test."""
    r = synth.recipe
    out: dict[str, tuple[np.ndarray, list[str]]] = {}
    if real is None or val is None or test is None:
        cs = r.data.charset
        data = load_dataset(
            synth.pool.spec, size=r.data.size, mode=r.data.mode, charset=CHARSETS.get(cs, cs) if cs else None
        )
        train_idx, held = synth.task.split(data.labels, r.data.val_fraction, r.train.seed)
        rng = np.random.default_rng(derive_seed(r.train.seed, "eval-gen-halves"))
        held = list(rng.permutation(held))
        half = len(held) // 2
        pick = lambda ix: (np.stack([data.images[i] for i in ix]), [data.labels[i] for i in ix])  # noqa: E731
        out = {"real": pick(train_idx), "val": pick(held[:half]), "test": pick(held[half:])}
    for name, spec in (("real", real), ("val", val), ("test", test)):
        if spec is not None:
            out[name] = _images(spec, r.data.size, r.data.mode)
    return out


def _flat(images: np.ndarray) -> torch.Tensor:
    return to_tensor(images).flatten(1)


def measure(
    ckpt: str | Path, n: int, seed: int, cas_steps: int, real=None, val=None, test=None, device: str = "auto"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics, artefacts for figures) of one run."""
    t0 = time.perf_counter()
    synth = Synthesizer(ckpt, pick_device(device))
    sets = _splits(synth, real, val, test)
    spec = synth.task.content_plan(synth, SynthOptions(n=n))
    plans = [plan(seed, i, spec, len(synth.pool.sources), False, len(synth.content_fonts)) for i in range(n)]
    images, reads = [], []
    for b in range(0, n, 512):
        im, rd = synth.generate(plans[b : b + 512])
        images.append(im)
        reads.extend(rd)
    samples = np.concatenate(images)
    requested = [p.label for p in plans]
    style_class = [synth.pool.labels[p.style] for p in plans]
    content_acc = float(np.mean([a == b for a, b in zip(reads, requested, strict=True)]))
    crossed = [(a, s) for a, s, b in zip(reads, style_class, requested, strict=True) if s and s != b]
    copy_rate = float(np.mean([a == s for a, s in crossed])) if crossed else float("nan")
    per_class = {
        c: float(np.mean([r == c for r, q in zip(reads, requested, strict=True) if q == c]))
        for c in synth.classes
        if c in requested
    }

    s_flat, real_flat = _flat(samples), _flat(sets["real"][0])
    val_flat, test_flat = _flat(sets["val"][0]), _flat(sets["test"][0])
    p_samples = parzen(s_flat, val_flat, test_flat)
    ref_n = min(n, len(real_flat))
    ref_idx = np.random.default_rng(derive_seed(seed, "parzen-ref")).choice(len(real_flat), ref_n, replace=False)
    p_real = parzen(real_flat[ref_idx], val_flat, test_flat)

    nn_s, nn_idx = nearest_neighbours(s_flat, real_flat)
    nn_t, _ = nearest_neighbours(test_flat, real_flat)

    known = [i for i, x in enumerate(sets["test"][1]) if x in synth.classes]
    rec = CharRecognizer(synth.classes, synth.size, samples.shape[-1] if samples.ndim == 4 else 1)
    fit_pool = Pool(samples, requested)
    rec.fit(batch_sampler(fit_pool, None, 64, seed, "cas"), sets["val"][0], sets["val"][1], cas_steps, None, seed)
    pred = rec.predict(sets["test"][0][known])
    truth = [sets["test"][1][i] for i in known]
    cas = float(np.mean([p == t for p, t in zip(pred, truth, strict=True)])) if known else float("nan")
    cas_per_class = {
        c: float(np.mean([p == t for p, t in zip(pred, truth, strict=True) if t == c]))
        for c in synth.classes
        if c in truth
    }

    metrics = {
        "task": synth.task.name,
        "checkpoint": str(synth.checkpoint_path),
        "checkpoint_sha256": synth.checkpoint_sha256,
        "arch": synth.recipe.model.arch,
        "disc": synth.recipe.model.disc,
        "samples": n,
        "n_real": len(real_flat),
        "n_val": len(val_flat),
        "n_test": len(test_flat),
        "parzen_ll": p_samples["ll"],
        "parzen_se": p_samples["se"],
        "parzen_sigma": p_samples["sigma"],
        "parzen_sigma_on_grid_edge": p_samples["sigma_on_grid_edge"],
        "parzen_ll_real_reference": p_real["ll"],
        "parzen_se_real_reference": p_real["se"],
        "parzen_sigma_real_reference": p_real["sigma"],
        "content_accuracy": content_acc,
        "copy_rate": copy_rate,
        "nn_distance_samples": float(nn_s.mean()),
        "nn_distance_test": float(nn_t.mean()),
        "cas_accuracy": cas,
        "per_class_content_accuracy": per_class,
        "per_class_cas_accuracy": cas_per_class,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    artefacts = {
        "synth": synth,
        "samples": samples,
        "requested": requested,
        "nn_idx": nn_idx,
        "nn_dist": nn_s,
        "real": sets["real"][0],
        "val": sets["val"][0],
    }
    return metrics, artefacts


def _figures(out: Path, a: dict[str, Any], prefix: str = "") -> dict[str, str]:
    synth: Synthesizer = a["synth"]
    dev = synth.device
    files = {}
    styles = to_tensor(a["val"][:8]).to(dev)
    glyphs = synth.glyph_bank
    style_transfer_grid(synth.G, glyphs, styles).save(out / f"{prefix}style-grid.png")
    files["style transfer (Figure 6)"] = f"{prefix}style-grid.png"
    k = min(100, len(a["samples"]))
    contact_sheet(list(a["samples"][:k]), a["requested"][:k]).save(out / f"{prefix}samples.png")
    files["random samples"] = f"{prefix}samples.png"
    pairs = []
    labels = []
    for i in range(min(MEMO_PAIRS, len(a["samples"]))):
        pairs += [a["samples"][i], a["real"][int(a["nn_idx"][i])]]
        labels += [f"{a['requested'][i]}", f"nn {float(a['nn_dist'][i]):.1f}"]
    contact_sheet(pairs, labels, columns=8).save(out / f"{prefix}nearest.png")
    files["samples beside their nearest training image (Figure 3)"] = f"{prefix}nearest.png"
    files["style interpolation"] = _interpolation(out, synth, glyphs, styles, prefix)
    return files


@torch.no_grad()
def _interpolation(out: Path, synth: Synthesizer, glyphs: torch.Tensor, styles: torch.Tensor, prefix: str) -> str:
    G = synth.G
    a, b = G.encode_style(styles[:1]), G.encode_style(styles[1:2] if len(styles) > 1 else styles[:1])
    steps = torch.linspace(0, 1, 8, device=styles.device)
    rows = []
    for c in range(glyphs.shape[0]):
        vec = a * (1 - steps[:, None]) + b * steps[:, None]
        rows.append(to_uint8(G.decode(glyphs[c : c + 1].expand(8, *glyphs.shape[1:]), vec)))
    tiles = np.concatenate(rows)
    contact_sheet(list(tiles), [f"{s:.2f}" for _ in range(glyphs.shape[0]) for s in steps.tolist()], columns=8).save(
        out / f"{prefix}interpolation.png"
    )
    return f"{prefix}interpolation.png"


def evaluate_generator(
    ckpt: str | Path,
    out: str | Path,
    real=None,
    val=None,
    test=None,
    n: int = 10_000,
    seed: int = 0,
    cas_steps: int = 400,
    compare: str | Path | None = None,
    device: str = "auto",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write metrics.json, figures and report.md for `ckpt` (and `compare`, side by side).

    `out` must be new or empty unless `overwrite` (outfolder.py)."""
    from saae_augment.errors import UsageError

    if n < 10:
        raise UsageError("--n must be at least 10")
    # refuse a bad checkpoint before the first file is written; the task is the checkpoint's
    tasks = {task_of_checkpoint(load_checkpoint(run)) for run in (ckpt, compare) if run is not None}
    if len(tasks) > 1:
        raise UsageError("--compare needs a run of the same task (characters with characters, lines with lines)")
    (task,) = tasks
    out = Path(out)
    with claim_output(out, "eval-gen", GEN_ENTRIES, overwrite=overwrite):
        return EVALUATORS[task](ckpt, out, real, val, test, n, seed, cas_steps, compare, device)


def _evaluate(
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
    return measure_and_write(
        out,
        ckpt,
        compare,
        lambda run: measure(run, n, seed, cas_steps, real, val, test, device),
        _figures,
        character_report,
    )


# eval-gen's measurements and figures, and its terminal line, for each task's runs
EVALUATORS = {CHARS: _evaluate, LINES: evaluate_line_generator}
HEADLINES = {CHARS: character_headline, LINES: line_headline}


def headline(metrics: dict[str, Any]) -> str:
    """The terminal line for one run's metrics (their "task" says which kind)."""
    return HEADLINES[task_named(metrics["task"])](metrics)
