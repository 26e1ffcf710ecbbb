"""Plate patterns: `{province}{letter}{alnum:5}` → 京A12345, one text per sample seed.

A pattern is literal text with `{token}` or `{token:n}` fields; each field draws n characters
from the token's alphabet. Presets name the layouts users ask for (Chinese blue/yellow/green
plates, a European and a US-style example) with their colours, which the procedural plate-photo
set uses. A text depends only on (seed, index), like every other per-sample choice.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np

from saae_augment.data.charsets import PLATE_CN_LETTERS, PLATE_CN_PROVINCES
from saae_augment.errors import UsageError
from saae_augment.seeding import derive_seed

TOKENS: dict[str, str] = {
    "province": PLATE_CN_PROVINCES,
    "letter": PLATE_CN_LETTERS,  # A-Z without I and O (read as 1 and 0 on plates)
    "digit": string.digits,
    "alnum": PLATE_CN_LETTERS + string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "ev": "DF",  # Chinese new-energy plates: D (electric) or F (hybrid) after the city letter
}
_FIELD = re.compile(r"\{([a-z]+)(?::(\d+))?\}")
MAX_FIELD = 64


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern: a list of (alphabet, count) parts; literal text has count 0."""

    text: str
    parts: tuple[tuple[str, int], ...]

    @property
    def charset(self) -> str:
        """Every character the pattern can write, in first-seen order."""
        chars = "".join(a for a, _ in self.parts)
        return "".join(dict.fromkeys(chars))

    def draw(self, rng: np.random.Generator) -> str:
        """One text drawn from the pattern with `rng`."""
        out = []
        for alphabet, count in self.parts:
            if count == 0:
                out.append(alphabet)
            else:
                out.extend(alphabet[i] for i in rng.integers(len(alphabet), size=count))
        return "".join(out)


def parse_pattern(text: str) -> Pattern:
    """`{province}{letter}{alnum:5}` → Pattern; an unknown token or a stray brace is a usage error."""
    parts: list[tuple[str, int]] = []
    pos = 0
    for m in _FIELD.finditer(text):
        literal = text[pos : m.start()]
        if literal:
            parts.append((literal, 0))
        token, count = m.group(1), int(m.group(2) or 1)
        if token not in TOKENS:
            raise UsageError(f"pattern {text!r}: unknown field {{{token}}}; known fields: {', '.join(TOKENS)}")
        if not 1 <= count <= MAX_FIELD:
            raise UsageError(f"pattern {text!r}: {{{token}:{count}}} must repeat 1 to {MAX_FIELD} times")
        parts.append((TOKENS[token], count))
        pos = m.end()
    if text[pos:]:
        parts.append((text[pos:], 0))
    if any(c in lit for lit, n in parts if n == 0 for c in "{}"):
        raise UsageError(f"pattern {text!r} has a brace that is not a field such as {{digit:4}}")
    if not any(n for _, n in parts):
        raise UsageError(f"pattern {text!r} has no field; write e.g. {{province}}{{letter}}{{alnum:5}}")
    return Pattern(text, tuple(parts))


@dataclass(frozen=True)
class Layout:
    """One plate design: its pattern and colours (RGB), for the procedural plate photos."""

    name: str
    pattern: str
    background: tuple[int, int, int]
    ink: tuple[int, int, int]


LAYOUTS: dict[str, Layout] = {
    "cn-blue": Layout("cn-blue", "{province}{letter}{alnum:5}", (18, 62, 178), (240, 240, 240)),
    "cn-yellow": Layout("cn-yellow", "{province}{letter}{alnum:5}", (236, 190, 20), (20, 20, 20)),
    "cn-green": Layout("cn-green", "{province}{letter}{ev}{alnum:5}", (120, 200, 130), (20, 20, 20)),
    "eu": Layout("eu", "{upper:2}{digit:2}{upper:3}", (235, 235, 230), (15, 15, 15)),
    "us": Layout("us", "{digit}{upper:3}{digit:3}", (240, 240, 245), (20, 40, 120)),
}
# Presets: which layouts, how often. `plate-cn` mixes the Chinese layouts roughly as they occur.
PRESETS: dict[str, tuple[tuple[str, float], ...]] = {
    "plate-cn": (("cn-blue", 0.75), ("cn-yellow", 0.15), ("cn-green", 0.10)),
    "plate-cn-blue": (("cn-blue", 1.0),),
    "plate-cn-yellow": (("cn-yellow", 1.0),),
    "plate-cn-green": (("cn-green", 1.0),),
    "plate-eu": (("eu", 1.0),),
    "plate-us": (("us", 1.0),),
}


@dataclass(frozen=True)
class Skew:
    """A long tail the way real collections have one (CCPD: one province on most plates): the
    first character is `char` on `share` of the texts, any other of its field's alphabet on the rest."""

    char: str
    share: float

    def __post_init__(self) -> None:
        if len(self.char) != 1 or not 0.0 < self.share < 1.0:
            raise UsageError(
                f"--skew {self.char}={self.share:g}: write CHAR=SHARE, one character and a share between 0 and 1, "
                "e.g. 皖=0.8"
            )

    def describe(self) -> dict[str, float | str]:
        """What a manifest records."""
        return {"char": self.char, "share": self.share}


def parse_skew(text: str) -> Skew:
    """`皖=0.8` → Skew('皖', 0.8); the form is checked here, the values by Skew itself."""
    char, sep, share = text.partition("=")
    try:
        value = float(share)
    except ValueError:
        sep = ""
    if not sep:
        raise UsageError(f"--skew {text!r}: write CHAR=SHARE with a share between 0 and 1, e.g. 皖=0.8")
    return Skew(char, value)


class PlateTexts:
    """Texts (and layouts) per sample index from a preset name or a pattern string, optionally
    with a skewed first character."""

    def __init__(self, spec: str, skew: Skew | None = None):
        if spec in PRESETS:
            mix = PRESETS[spec]
            self.layouts = [LAYOUTS[name] for name, _ in mix]
            self.weights = np.array([w for _, w in mix]) / sum(w for _, w in mix)
        elif "{" in spec:
            self.layouts = [Layout("custom", spec, (235, 235, 230), (15, 15, 15))]
            self.weights = np.array([1.0])
        else:
            raise UsageError(
                f"{spec!r} is neither a plate preset ({', '.join(PRESETS)}) nor a pattern such as "
                "{province}{letter}{alnum:5}"
            )
        self.spec = spec
        self.patterns = [parse_pattern(layout.pattern) for layout in self.layouts]
        self.skew = skew
        if skew is not None:
            firsts = [p.parts[0] for p in self.patterns]
            if any(n == 0 or skew.char not in alphabet or len(alphabet) < 2 for alphabet, n in firsts):
                raise UsageError(
                    f"--skew {skew.char}: {spec} does not start with a field that can write {skew.char!r}; "
                    f"its first field writes {firsts[0][0][:40]!r}"
                )

    @property
    def charset(self) -> str:
        """Every character the preset or pattern can write."""
        return "".join(dict.fromkeys("".join(p.charset for p in self.patterns)))

    def draw(self, seed: int, index: int) -> tuple[str, Layout]:
        """One text drawn with `rng` (a preset may mix several patterns)."""
        rng = np.random.default_rng(derive_seed(seed, "plate-text", index))
        k = int(rng.choice(len(self.layouts), p=self.weights)) if len(self.layouts) > 1 else 0
        text = self.patterns[k].draw(rng)
        if self.skew is not None:  # its own stream: the rest of each text stays what it was unskewed
            skew_rng = np.random.default_rng(derive_seed(seed, "plate-skew", index))
            others = self.patterns[k].parts[0][0].replace(self.skew.char, "")
            first = (
                self.skew.char if skew_rng.random() < self.skew.share else others[int(skew_rng.integers(len(others)))]
            )
            text = first + text[1:]
        return text, self.layouts[k]

    def text(self, seed: int, index: int) -> str:
        """Sample `index`'s text, from (seed, index) alone."""
        return self.draw(seed, index)[0]
