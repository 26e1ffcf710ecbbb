"""What loading a data set found: counts, sizes, and every problem, so nothing is dropped silently."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One bad sample or bad line: `kind` groups them (see PROBLEM_KINDS), `source` says where."""

    kind: str
    source: str
    detail: str

    def __str__(self) -> str:
        return f"{self.source}: {self.detail}"


PROBLEM_KINDS = {
    "missing-file": "listed file does not exist",
    "outside-dataset": "path escapes the data set folder",
    "unreadable-image": "not an image, or truncated / corrupt",
    "too-large": "image over the pixel limit (decompression bomb guard)",
    "too-small": "image too small to hold a character",
    "unsupported-mode": "image mode that cannot be converted",
    "empty-label": "empty or blank label",
    "bad-label": "label with a line break or another control character",
    "outside-charset": "label has characters outside the charset",
    "bad-line": "label file line that cannot be parsed",
    "duplicate": "sample listed more than once (the first listing is kept)",
}


@dataclass
class LoadReport:
    """Filled in while loading; the CLI prints it and `--strict` turns problems into failure."""

    format: str
    source: str
    listed: int = 0
    problems: list[Problem] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    sizes: Counter = field(default_factory=Counter)  # (width, height) as stored -> count
    modes: Counter = field(default_factory=Counter)  # Pillow mode as stored -> count
    converted: Counter = field(default_factory=Counter)  # "CMYK->L" etc. -> count
    outside_charset: Counter = field(default_factory=Counter)  # character -> count of samples

    @property
    def skipped(self) -> int:
        """How many listed samples were skipped, for the summary and manifests."""
        return len(self.problems)

    def problem_counts(self) -> Counter:
        """Skipped samples per kind of problem, for the one-line summary."""
        return Counter(p.kind for p in self.problems)
