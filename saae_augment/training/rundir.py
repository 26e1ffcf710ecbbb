"""The run folder: config.yaml, metrics.jsonl, grids/, checkpoints/, summary.json.

config.yaml is exactly the resolved recipe, so `--recipe RUN/config.yaml` repeats a run.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from saae_augment.atomicio import write_text_atomic
from saae_augment.config import Recipe, recipe_to_dict
from saae_augment.errors import UsageError

# What a run writes into its folder (the ledger lists these; see outfolder.py).
RUN_ENTRIES = ["config.yaml", "metrics.jsonl", "grids", "checkpoints", "summary.json"]


class RunDir:
    """A run folder's layout: config, metrics, grids, checkpoints, summary, log."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def default_path(cls, recipe_name: str) -> Path:
        """runs/<recipe>-<time>, for a run started without --out."""
        return Path("runs") / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{recipe_name}"

    @property
    def config(self) -> Path:
        """The recipe as trained, in YAML."""
        return self.path / "config.yaml"

    @property
    def metrics(self) -> Path:
        """metrics.csv: one row per logged step."""
        return self.path / "metrics.jsonl"

    @property
    def grids(self) -> Path:
        """The folder of style-transfer grids."""
        return self.path / "grids"

    @property
    def checkpoints(self) -> Path:
        """The folder of checkpoints."""
        return self.path / "checkpoints"

    @property
    def last(self) -> Path:
        """checkpoints/last.pt: what synth and --resume load."""
        return self.checkpoints / "last.pt"

    @property
    def summary(self) -> Path:
        """summary.json: the run's final figures."""
        return self.path / "summary.json"

    def create(self, recipe: Recipe) -> None:
        """A new run; refuses a folder that already holds one, so no run is overwritten by accident."""
        if self.last.exists() or self.metrics.exists():
            raise UsageError(f"{self.path} already holds a training run; use --resume {self.path} or another --out")
        self.grids.mkdir(parents=True, exist_ok=True)
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.config, yaml.safe_dump(recipe_to_dict(recipe), sort_keys=False, allow_unicode=True))

    def log(self, record: dict[str, Any]) -> None:
        """train.log: the run's log lines."""
        with self.metrics.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def truncate_metrics(self, step: int) -> None:
        """On resume, forget records written after the checkpoint we continue from."""
        if not self.metrics.exists():
            return
        keep = []
        for line in self.metrics.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    keep.append(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash; it is rewritten from the checkpoint's state
        write_text_atomic(self.metrics, "".join(line + "\n" for line in keep))

    def read_metrics(self) -> list[dict[str, Any]]:
        """metrics.csv's rows (empty before the first log)."""
        if not self.metrics.exists():
            return []
        return [json.loads(line) for line in self.metrics.read_text(encoding="utf-8").splitlines() if line.strip()]

    def write_summary(self, summary: dict[str, Any]) -> None:
        """summary.json, written atomically."""
        write_text_atomic(self.summary, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
