"""The labeled set a base model learns from: every installed font that draws the charset, each glyph
degraded the way real crops differ from a clean render (warps, thinner and bolder strokes, blur,
contrast, noise), written as a normal labeled folder so that `train` reads it like any other set.

A base SAAE trained on it already knows how every character of the charset looks in many shapes
and weights; `train --init BASE` then only has to learn the user's style, which is what a user
with one to ten images per class (or a class with two) cannot teach a model from scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from saae_augment.data.fontchoice import glyph_banks
from saae_augment.data.fonts import covering_font
from saae_augment.data.labelfiles import write_label_files
from saae_augment.data.sheet import contact_sheet
from saae_augment.data.warp import affine_warp, warp_params
from saae_augment.manifest import write_manifest
from saae_augment.outfolder import claim_output
from saae_augment.seeding import derive_seed
from saae_augment.sets.render import SET_ENTRIES

MAX_BASE_FONTS = 64  # every installed font that draws the charset recognisably (fontchoice.py), up to this
WARP_STRENGTH = 1.5  # stronger than training's content warps: the base must read shapes, not one font


def degrade(glyph: np.ndarray, seed: int) -> np.ndarray:
    """One rendered glyph (H×W uint8, white ink on black) as a crop might show it: stroke width
    changed (erode or dilate), blurred, contrast and brightness changed, noise added; all drawn
    from `seed` alone."""
    rng = np.random.default_rng(seed)
    img = glyph.astype(np.float32)
    stroke = rng.choice(["thin", "keep", "bold", "bolder"], p=[0.25, 0.3, 0.3, 0.15])
    if stroke != "keep":
        k = np.ones((3, 3) if stroke == "bolder" else (2, 2), np.uint8)
        img = (cv2.erode if stroke == "thin" else cv2.dilate)(img, k)
    sigma = rng.uniform(0.0, 1.2)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    ink, paper = rng.uniform(150, 255), rng.uniform(0, 70)
    img = paper + (ink - paper) * img / 255.0
    img += rng.normal(0.0, rng.uniform(0, 12), img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_base_set(
    out: str | Path,
    charset: str,
    size: tuple[int, int],
    per_class: int,
    seed: int = 0,
    font: str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
) -> dict[str, int]:
    """`per_class` degraded renders of every character of `charset` at `size` (H, W) into `out`
    (images/, labels.csv, labels.txt, sheet.png, manifest.json); {"images": n, "fonts": f}."""
    if per_class < 1:
        raise ValueError("per_class must be at least 1")
    classes = sorted(set(charset))
    first = covering_font("".join(classes), font)
    with claim_output(out, "pretrain set", SET_ENTRIES, overwrite=overwrite):
        banks, fonts = glyph_banks(classes, first, MAX_BASE_FONTS, size, 1, False)  # F×k×1×H×W in [0, 1]
        n = per_class * len(classes)
        out = Path(out)
        (out / "images").mkdir(parents=True, exist_ok=True)
        rows, sheet = [], []
        for lo in range(0, n, 256):
            idx = list(range(lo, min(n, lo + 256)))
            seeds = [derive_seed(seed, "base-sample", i) for i in idx]
            pick = torch.tensor([np.random.default_rng(s).integers(len(fonts)) for s in seeds])
            cls = torch.tensor([i % len(classes) for i in idx])
            warped = affine_warp(banks[pick, cls], warp_params(seeds), WARP_STRENGTH, fill=0.0)
            for j, i in enumerate(idx):
                image = degrade((warped[j, 0].clamp(0, 1) * 255).round().byte().numpy(), seeds[j] + 1)
                rel = f"images/{i // 10000}/{i:07d}.png"
                (out / rel).parent.mkdir(exist_ok=True)
                Image.fromarray(image).save(out / rel)
                rows.append({"path": rel, "label": classes[int(cls[j])], "font": fonts[int(pick[j])].name})
                if len(sheet) < 10 * len(classes):
                    sheet.append(image)
            if on_progress:
                on_progress(idx[-1] + 1, n)
        write_label_files(out, rows)
        contact_sheet(sheet, [r["label"] for r in rows[: len(sheet)]], first).save(out / "sheet.png")
        write_manifest(
            out,
            command="pretrain set",
            settings={
                "charset": "".join(classes),
                "size": list(size),
                "per_class": per_class,
                "seed": seed,
                "fonts": [f.describe() for f in fonts],
                "warp_strength": WARP_STRENGTH,
                "degradations": "stroke width (erode/dilate), blur, contrast, brightness, noise",
            },
        )
    return {"images": n, "fonts": len(fonts)}
