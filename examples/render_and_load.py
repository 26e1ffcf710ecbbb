"""Render content glyphs and load a labeled data set with the library, no CLI involved.

Run: .venv/bin/python examples/render_and_load.py
"""

from collections import Counter

from saae_augment import load_dataset, render_glyphs

glyphs, report = render_glyphs(list("0123456789"), size=(28, 28))
print(f"rendered {report.rendered} glyphs of shape {glyphs[0].image.shape} with {glyphs[0].font.name}")

data = load_dataset("digits", size=(28, 28))
print(f"loaded {len(data)} images, {len(data.classes)} classes, array {data.stack().shape}")
print("per class:", dict(sorted(Counter(data.labels).items())))
print("problems:", data.report.skipped)
