"""Word crops the tool did not draw, as a labeled folder: a foreign style domain for the `words`
recipe, so the style encoder meets fonts, colours and damage it never made.

Two sources, both from the multicolorcaptcha package (GPLv3; an optional extra that only this
example imports, the package never does: `pip install -e '.[words-demo]'`):
- `fonts` (default): words of 3 to 8 capital letters and digits drawn with PIL in the package's Google
  fonts (OFL; none of them is a font saae-augment renders with), in random ink and paper
  colours, then tilted, squeezed, blurred, noised and JPEG-compressed;
- `captcha`: the package's own captchas (4 characters A–Z, 0–9, rotated letters on colour blocks
  with decoy strokes), the text strip cut out of the canvas and scaled to 32×128.

Real word crops (IIIT5K, ICDAR, your own detector's output) are what you should train on; this
stands in for them in the demo and the tests.

Run: .venv/bin/python examples/captcha_words.py --n 800 --seed 0 --out words/train
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import string
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIZE = (128, 32)  # (width, height): the words recipe's 32×128
STRIP = (0, 40, 256, 104)  # where the 4 character cells sit on the 256×144 captcha canvas
# readable faces among the package's fonts (outline, sketch, script and digits-only ones left out)
FACES = ("aldrich", "combo", "elsie", "graduate", "kaushanscript", "londrinasolid", "rampartone", "stalinistone")
CHARS = string.ascii_uppercase + string.digits  # several faces draw lowercase as small capitals


def _package_fonts() -> list[Path]:
    import multicolorcaptcha  # optional: only this example needs it

    root = Path(multicolorcaptcha.__file__).parent / "fonts" / "GoogleFonts" / "ofl"
    return sorted(p for face in FACES for p in (root / face).glob("*.ttf"))


def _luma(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def _font_word(text: str, font_file: Path, rng: np.random.Generator) -> Image.Image:
    paper = rng.integers(0, 256, size=3)
    ink = rng.integers(0, 256, size=3)
    while abs(_luma(ink) - _luma(paper)) < 70:  # colours alone vanish in the recipe's grey
        ink = rng.integers(0, 256, size=3)
    font = ImageFont.truetype(str(font_file), size=int(rng.integers(36, 52)))
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("RGB", (right - left + 24, bottom - top + 16), tuple(int(c) for c in paper))
    ImageDraw.Draw(canvas).text((12 - left, 8 - top), text, font=font, fill=tuple(int(c) for c in ink))
    canvas = canvas.rotate(float(rng.uniform(-5, 5)), resample=Image.BICUBIC, expand=True, fillcolor=tuple(paper))
    width = int(canvas.height * SIZE[0] / SIZE[1] * rng.uniform(0.75, 1.0))  # squeeze or pad to 4:1
    canvas = canvas.resize((max(width, canvas.width // 2), canvas.height), Image.BILINEAR)
    crop = Image.new("RGB", (canvas.height * SIZE[0] // SIZE[1], canvas.height), tuple(int(c) for c in paper))
    crop.paste(canvas.resize((min(canvas.width, crop.width), canvas.height)), (0, 0))
    crop = crop.resize(SIZE, Image.BILINEAR).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.0))))
    pixels = np.asarray(crop, np.float32) + rng.normal(0, rng.uniform(0, 12), size=(SIZE[1], SIZE[0], 3))
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=int(rng.integers(30, 90)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def write_words(out: Path, n: int, seed: int, source: str = "fonts") -> None:
    """n word crops under out/images, with labels.csv and labels.txt."""
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"error: {out} is not empty; choose a new folder")
    rng = np.random.default_rng(seed)
    if source == "captcha":
        from multicolorcaptcha import CaptchaGenerator

        generator = CaptchaGenerator(0)
        generator.l_fonts.sort()  # listed in directory order: sorted, so a seed gives the same set anywhere
        random.seed(seed)  # the package draws everything from the global random module
    else:
        fonts = _package_fonts()
    (out / "images").mkdir(parents=True)
    rows = []
    for i in range(n):
        if source == "captcha":
            captcha = generator.gen_captcha_image(0, chars_mode="ascii", multicolor=random.random() < 0.5)
            text, image = captcha.characters, captcha.image.crop(STRIP).resize(SIZE, Image.BILINEAR)
        else:
            text = "".join(rng.choice(list(CHARS), size=int(rng.integers(3, 9))))
            image = _font_word(text, fonts[int(rng.integers(len(fonts)))], rng)
        rel = f"images/{i:06d}.png"
        image.save(out / rel)
        rows.append((rel, text))
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    (out / "labels.txt").write_text("".join(f"{p}\t{t}\n" for p, t in rows), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--source", choices=("fonts", "captcha"), default="fonts")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    write_words(args.out, args.n, args.seed, args.source)
    print(f"wrote {args.n} word crops ({args.source}) to {args.out}")


if __name__ == "__main__":
    main()
