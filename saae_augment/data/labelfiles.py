"""The two label-file layouts OCR trainers read: `labels.csv` (path,label,...) and
`labels.txt` (path<TAB>label, the PaddleOCR / SynthTIGER gt.txt layout).

Reading never guesses: a CSV must name its `path` and `label` columns, a TXT line must hold a
tab. Labels are kept as exact strings ("007" stays "007", "NA" stays "NA").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from saae_augment.atomicio import write_text_atomic
from saae_augment.data.report import Problem
from saae_augment.errors import DatasetError

CSV_NAME = "labels.csv"
TXT_NAME = "labels.txt"


@dataclass(frozen=True)
class LabelEntry:
    """One listed sample and where it was listed, so problems can name the line."""

    path: str
    label: str
    where: str  # "labels.csv:12", for messages


def _swallowed_rows(field: str) -> bool:
    """A field whose later lines hold commas is rows read into one: an unterminated quote. (A
    quoted label with a line break in it is one bad label, reported as such.)"""
    return any("," in line for line in field.splitlines()[1:])


def read_labels_csv(file: Path) -> tuple[list[LabelEntry], list[Problem]]:
    """Rows of a labels.csv and the problems found, each naming its line."""
    start = 1  # the line the row being read began on: where a stray quote opened
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header is None:
                raise DatasetError(f"{file} is empty; it needs a header line `path,label` and one row per image")
            cols = [h.strip().lower() for h in header]
            if "path" not in cols or "label" not in cols:
                raise DatasetError(
                    f"{file} needs columns `path` and `label`; its header is {','.join(header)!r}. "
                    "Rename the columns (or use txt:FOLDER for a path<TAB>label file)"
                )
            ip, il = cols.index("path"), cols.index("label")
            entries: list[LabelEntry] = []
            problems: list[Problem] = []
            start = reader.line_num + 1
            for row in reader:
                where = f"{file.name}:{start}"
                if reader.line_num > start and any(_swallowed_rows(c) for c in row):
                    raise DatasetError(
                        f'{file} line {start}: a quote (") opened there is not closed on its line, so lines '
                        f"{start}-{reader.line_num} read as one row; close or remove the quote"
                    )
                start = reader.line_num + 1
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) <= max(ip, il):
                    problems.append(Problem("bad-line", where, f"row has {len(row)} field(s), expected path and label"))
                    continue
                entries.append(LabelEntry(row[ip], row[il], where))
    except UnicodeDecodeError:
        raise DatasetError(f"{file} is not UTF-8 text; save it as UTF-8") from None
    except csv.Error as exc:
        raise DatasetError(
            f'{file} line {start}: not valid CSV ({exc}); a quote (") opened there is not closed: close or remove it'
        ) from None
    return entries, problems


def read_labels_txt(file: Path) -> tuple[list[LabelEntry], list[Problem]]:
    """Rows of a labels.txt and the problems found, each naming its line."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(f"{file} is not UTF-8 text; save it as UTF-8") from None
    entries: list[LabelEntry] = []
    problems: list[Problem] = []
    # Split on \n only: a label may legitimately hold other Unicode line separators.
    for n, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        where = f"{file.name}:{n}"
        if "\t" not in line:
            problems.append(Problem("bad-line", where, "no tab between path and label (expected path<TAB>label)"))
            continue
        path, label = line.split("\t", 1)
        entries.append(LabelEntry(path, label, where))
    return entries, problems


def write_label_files(out_dir: Path, rows: Iterable[Mapping[str, object]]) -> None:
    """Write both layouts side by side; each file appears whole or not at all."""
    rows = list(rows)
    for r in rows:
        label = str(r["label"])
        if any(c in label for c in "\t\n\r"):
            raise DatasetError(f"label {label!r} holds a tab or line break, which labels.txt cannot hold")
    fields = list(dict.fromkeys(k for r in rows for k in r)) or ["path", "label"]

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(Path(out_dir) / CSV_NAME, buf.getvalue())
    write_text_atomic(Path(out_dir) / TXT_NAME, "".join(f"{r['path']}\t{r['label']}\n" for r in rows))
