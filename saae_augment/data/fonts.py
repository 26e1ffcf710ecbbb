"""Finding fonts and checking which characters they really have.

We check every character against the font's character map (fontTools) before drawing, because
Pillow silently draws a "tofu" box for a missing glyph, and a tofu box with a real label is a
wrong training sample that nobody notices.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError

from saae_augment.errors import FontError

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# Real fonts share a glyph among a few characters at most (space and no-break space, Latin A and
# Cyrillic А): more is a placeholder box. Measured: no installed font here exceeds 8, Last Resort
# shares one glyph among 65,534.
MAX_SHARED_GLYPH = 32
SYSTEM_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
CJK_INSTALL_HINT = (
    "install a CJK font, e.g. `apt-get install fonts-wqy-zenhei` (Debian/Ubuntu) or "
    "`fonts-noto-cjk`, then pass --font 'WenQuanYi Zen Hei'"
)


@dataclass(frozen=True)
class Font:
    """One face of a font file (a .ttc collection holds several faces, chosen by `index`)."""

    path: Path
    index: int = 0
    family: str = ""
    style: str = ""
    _cmap: dict[int, str] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def name(self) -> str:
        """Family and style, as people name a font in messages and manifests."""
        return f"{self.family} {self.style}".strip() or self.path.name

    @cached_property
    def codepoints(self) -> frozenset[int]:
        """The characters this font really draws. Mapped to `.notdef` (the tofu box) does not
        count, nor does a glyph shared by more than MAX_SHARED_GLYPH characters: fallback fonts
        such as Last Resort (shipped with matplotlib) map every character of a Unicode block to one
        box, so a charset of any size, even one character, is "covered" by boxes."""
        shared = Counter(self._cmap.values())
        return frozenset(
            c for c, glyph in self._cmap.items() if glyph != ".notdef" and shared[glyph] <= MAX_SHARED_GLYPH
        )

    def missing(self, chars: str) -> str:
        """The characters of `chars` this font has no glyph for, in first-seen order, no repeats.

        Whitespace is never "missing": it is drawn as an advance, not a glyph.
        """
        out = dict.fromkeys(c for c in chars if not c.isspace() and ord(c) not in self.codepoints)
        return "".join(out)

    @cached_property
    def sha256(self) -> str:
        """The font file's hash: how a checkpoint finds its font again on another machine."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def describe(self) -> dict[str, object]:
        """What a manifest records so a render can be traced back to the exact font file."""
        return {"path": str(self.path), "index": self.index, "name": self.name, "sha256": self.sha256}


def default_font_path() -> Path:
    """DejaVu Sans as shipped inside matplotlib: present wherever our dependencies are."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _face_count(path: Path) -> int:
    if path.suffix.lower() in (".ttc", ".otc"):
        return len(TTCollection(str(path), lazy=True).fonts)
    return 1


def open_font(path: str | Path, index: int = 0) -> Font:
    """Read one face's names and character map; a file that is not a font is a FontError."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FontError(f"font file {path} does not exist")
    try:
        tt = TTFont(str(path), fontNumber=index, lazy=True)
        cmap = tt.getBestCmap() or {}
        names = tt["name"] if "name" in tt else None
        family = (names.getBestFamilyName() if names else None) or path.stem
        style = (names.getBestSubFamilyName() if names else None) or ""
        tt.close()
    except (TTLibError, OSError, KeyError, AssertionError, ValueError, IndexError) as exc:
        raise FontError(f"{path} is not a usable font file ({exc}); pass a .ttf, .otf or .ttc font") from None
    if not cmap:
        raise FontError(f"font {path} has no Unicode character map; pass a Unicode TrueType/OpenType font")
    return Font(path=path, index=index, family=family, style=style, _cmap=dict(cmap))


def fonts_in_folder(folder: Path) -> list[Font]:
    """Every face of every font file under `folder`, sorted by path for a stable order."""
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
    fonts: list[Font] = []
    for file in files:
        try:
            count = _face_count(file)
        except (TTLibError, OSError, AssertionError) as exc:
            raise FontError(f"{file} is not a usable font file ({exc}); remove it from {folder}") from None
        fonts.extend(open_font(file, i) for i in range(count))
    return fonts


@lru_cache(maxsize=1)
def _system_font_files() -> tuple[Path, ...]:
    """What matplotlib's font_manager finds (fontconfig on Linux, the registry and the per-user
    folder on Windows, ~/Library/Fonts on macOS): asked once per process."""
    from matplotlib import font_manager

    try:
        found = font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(fontext="otf")
    except (OSError, RuntimeError, ValueError):
        found = []
    return tuple(Path(f) for f in found)


def _installed_font_files() -> list[Path]:
    dirs = [Path(os.path.expanduser(d)) for d in SYSTEM_FONT_DIRS]
    dirs.append(default_font_path().parent)
    files: set[Path] = {p for p in _system_font_files() if p.suffix.lower() in FONT_SUFFIXES and p.is_file()}
    for d in dirs:
        if d.is_dir():
            files.update(p for p in d.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
    return sorted(files)


@lru_cache(maxsize=1024)
def _faces(path: Path, mtime_ns: int, size: int) -> tuple[Font, ...]:  # noqa: ARG001 (cache keys)
    """A file's faces, parsed once per process while the file stays the same (its mtime and size
    are part of the key, so a replaced font is read again and a new one is simply a new path)."""
    try:
        return tuple(open_font(path, i) for i in range(_face_count(path)))
    except (FontError, TTLibError, OSError, AssertionError):
        return ()


def installed_fonts() -> list[Font]:
    """Every readable face in the usual system font folders and matplotlib's own; unreadable
    files are passed over here because they are not ours to judge, only to search."""
    fonts: list[Font] = []
    for file in _installed_font_files():
        try:
            stat = file.stat()
        except OSError:
            continue
        fonts.extend(_faces(file, stat.st_mtime_ns, stat.st_size))
    return fonts


def find_family(family: str) -> Font:
    """An installed face by family name (case-insensitive), preferring the regular style."""
    wanted = family.casefold()
    matches = [f for f in installed_fonts() if f.family.casefold() == wanted or f.name.casefold() == wanted]
    if not matches:
        raise FontError(
            f"no installed font is named {family!r}; pass a font file or folder with --font, "
            "or list installed families with `fc-list : family`"
        )
    regular = [f for f in matches if f.style.casefold() in ("regular", "book", "normal", "")]
    return (regular or matches)[0]


def resolve_fonts(spec: str | Path | None = None) -> list[Font]:
    """`--font` as users give it: None (DejaVu Sans), a font file, a folder of fonts, or a family."""
    if spec is None or str(spec) == "":
        return [open_font(default_font_path())]
    path = Path(spec).expanduser()
    if path.is_dir():
        fonts = fonts_in_folder(path)
        if not fonts:
            raise FontError(f"font folder {path} holds no .ttf, .otf or .ttc files")
        return fonts
    if path.is_file():
        return [open_font(path)]
    if path.suffix.lower() in FONT_SUFFIXES or os.sep in str(spec):
        raise FontError(f"font file {path} does not exist")
    return [find_family(str(spec))]


def resolve_font(spec: str | Path | None = None) -> Font:
    """Exactly one font face (the first, for a folder)."""
    return resolve_fonts(spec)[0]


def is_cjk(char: str) -> bool:
    """Whether a character needs a CJK font (for the hint when none is installed)."""
    return "CJK" in unicodedata.name(char, "") or "HANGUL" in unicodedata.name(char, "")


def missing_glyphs_message(font: Font, missing: str) -> str:
    """One line naming the font and the characters it lacks, plus what to do about it."""
    shown = missing if len(missing) <= 40 else missing[:40] + "…"
    hint = "pass a font that has them with --font, or --on-missing skip to leave them out"
    if any(is_cjk(c) for c in missing):
        hint = CJK_INSTALL_HINT + ", or --on-missing skip"
        # `missing` counts placeholder boxes as missing (Font.codepoints): a font found here draws them
        have = next((f for f in installed_fonts() if not f.missing(missing)), None)
        if have is not None:
            hint = f"pass --font {have.family!r} ({have.path}), which has them, or --on-missing skip"
    return f"font {font.name} ({font.path}) lacks {len(missing)} character(s): {shown}; {hint}"


CJK_HINT = "install a CJK font (Debian/Ubuntu: apt-get install fonts-wqy-zenhei or fonts-noto-cjk) or pass --font"


def covering_font(charset: str, font: str | Path | None = None) -> Font:
    """`font` if given (it must cover `charset`), else DejaVu Sans or the first installed font that
    covers it. Placeholder boxes do not count as covering (Font.codepoints), so a fallback font
    such as Last Resort is never the answer, whatever the number of characters."""
    if font is not None:
        chosen = resolve_font(font)
        missing = chosen.missing(charset)
        if missing:
            raise FontError(missing_glyphs_message(chosen, missing))
        return chosen
    default = resolve_font(None)
    if not default.missing(charset):
        return default
    for candidate in installed_fonts():
        if not candidate.missing(charset):
            return candidate
    raise FontError(f"no installed font has every character of {charset!r}; {CJK_HINT}")
