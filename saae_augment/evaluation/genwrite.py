"""What eval-gen does for either task once it knows how to measure a run: measure the run (and
the one it is compared with), draw their figures, and write metrics.json and report.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saae_augment.atomicio import write_text_atomic

Measure = Callable[[str | Path], tuple[dict[str, Any], dict[str, Any]]]
Figures = Callable[[Path, dict[str, Any], str], dict[str, str]]
Report = Callable[[dict[str, Any], dict[str, Any] | None, dict[str, str]], str]


def measure_and_write(
    out: Path, ckpt: str | Path, compare: str | Path | None, measure: Measure, figures: Figures, report: Report
) -> dict[str, Any]:
    """metrics.json (NaN written as null), figures and report.md; `compare` side by side."""
    main, art = measure(ckpt)
    drawn = figures(out, art, "")
    other = None
    if compare is not None:
        other, art2 = measure(compare)
        drawn |= {f"{k} — {Path(compare).name}": v for k, v in figures(out, art2, "compare-").items()}
    result = dict(main) | ({"compare": other} if other is not None else {})
    clean = json.loads(json.dumps(result, default=float).replace("NaN", "null"))
    write_text_atomic(out / "metrics.json", json.dumps(clean, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out / "report.md", report(main, other, drawn))
    return result
