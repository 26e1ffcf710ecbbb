"""Refactors keep the bits: fixed seeds give the same checkpoint weights and synthesized bytes,
for characters and lines, on the CPU, as when tests/fixtures/bit_identity.json was recorded.

A change that alters them on purpose (a bug fixed, a default changed) records the fixture anew
and says so in its note:  python -m tests.integration.test_bit_identity --record

Floating-point results depend on the CPU's vector instructions and on torch's version, so the
comparison runs only where both match the recording (one thread, one content font: nothing else
of the machine enters). Elsewhere the test is skipped and says why.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pytest
import torch

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "bit_identity.json"
CHARS = ["train.max_steps=6", "train.threads=1", "glyph.fonts=1", "train.eval_every=3", "train.ckpt_every=3"]
LINES = [
    "data.size=[24, 96]",
    "data.pattern=plate-us",
    "train.max_steps=4",
    "train.batch_size=8",
    "train.judge_epochs=1",
    "train.eval_every=2",
    "train.grid_every=2",
    "train.ckpt_every=2",
    "train.eval_samples=8",
    "train.threads=1",
    "glyph.fonts=1",
    "model.generator=layered",  # plates-cn's generator: placement, the U-Net and its layers
]


def machine() -> dict[str, str]:
    return {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def weights_digest(run: Path) -> str:
    """sha256 over every tensor of the checkpoint's state, by name."""
    from saae_augment.core.checkpoint import load_checkpoint

    state = load_checkpoint(run)["state"]
    h = hashlib.sha256()
    for net in sorted(state):
        for name, t in sorted(state[net].items()):
            h.update(f"{net}.{name}".encode())
            h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def folder_digest(folder: Path) -> str:
    """sha256 over every image (by path) and both label files."""
    h = hashlib.sha256()
    for p in sorted((folder / "images").rglob("*.png")):
        h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    for name in ("labels.csv", "labels.txt"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def glyph_set(root: Path) -> Path:
    """Digits in the three DejaVu faces matplotlib ships, with seeded noise: 60 images."""
    import numpy as np
    from PIL import Image

    from saae_augment.data.fonts import default_font_path, open_font
    from saae_augment.data.glyphs import render_glyphs

    ttf = default_font_path().parent
    rng = np.random.default_rng(0)
    lines = ["path,label"]
    for name in ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"):
        glyphs, _ = render_glyphs(list("0123456789"), open_font(ttf / name), size=20)
        for g in glyphs:
            for noise in (10, 30):
                img = np.clip(g.image.astype(int) + rng.integers(-noise, noise + 1, g.image.shape), 0, 255)
                rel = f"img/{len(lines) - 1}.png"
                (root / "img").mkdir(parents=True, exist_ok=True)
                Image.fromarray(img.astype(np.uint8)).save(root / rel)
                lines.append(f"{rel},{g.text}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


def fingerprints(work: Path) -> dict[str, str]:
    """Train and synthesize both tasks from fixed seeds; the digests of what came out."""
    from saae_augment.sets.plates import make_plate_photos
    from saae_augment.synthesis.run import synthesize
    from saae_augment.training.loop import train

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        chars = train(glyph_set(work / "glyphs"), "smoke", CHARS, work / "chars", device="cpu")
        synthesize(chars.run_dir, 40, work / "chars-synth", seed=5, batch_size=16, device="cpu", workers=1)
        make_plate_photos(work / "plates", 40, "plate-us", (24, 96), seed=0)
        lines = train(work / "plates", "words", LINES, work / "lines", device="cpu")
        synthesize(lines.run_dir, 16, work / "lines-synth", seed=5, batch_size=8, device="cpu", workers=1)
    finally:
        torch.set_num_threads(threads)
    return {
        "chars_weights": weights_digest(chars.run_dir),
        "chars_synth": folder_digest(work / "chars-synth"),
        "lines_weights": weights_digest(lines.run_dir),
        "lines_synth": folder_digest(work / "lines-synth"),
    }


@pytest.mark.slow
def test_fixed_seeds_give_the_recorded_weights_and_bytes(tmp_path):
    recorded = json.loads(FIXTURE.read_text())
    if recorded["machine"] != machine():
        pytest.skip(f"recorded on {recorded['machine']}, this is {machine()}: floating point may differ")
    assert fingerprints(tmp_path) == recorded["digests"]


if __name__ == "__main__" and "--record" in sys.argv:
    with tempfile.TemporaryDirectory() as tmp:
        digests = fingerprints(Path(tmp))
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps({"machine": machine(), "digests": digests}, indent=2) + "\n")
    print(f"recorded {FIXTURE}")
