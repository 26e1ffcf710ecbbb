"""Issue 20's three speed ratios, measured in one run on this machine:

1. **characters 32×32**: `saae-augment synth --ckpt RUN --n N` against TextRecognitionDataGenerator
   writing single digits (`trdg -dt digits.txt -w 1 -c N -f 32 -wd 32 -t 2`: 32×32, 2 processes);
   RUN is the default recipe trained the default way at 32×32 (`train --data digits --set
   data.size=[32,32]`: from the packaged base, 300 steps), so `synth` runs with its default flags
   on a checkpoint like a user's (its `--precision auto` measures the judge's read);
2. **lines 32×128**: `saae-augment synth` on a plates-cn checkpoint (1 training step: the speed
   of a line does not depend on training) against `trdg -c N -f 32 -wd 128 -t 2`;
3. **training**: the `digits` recipe's it/s (its own log, from scratch, the steps after the
   first window) in this tree against `--baseline REV` (a git worktree of that commit), each in
   a fresh process, alternated round by round so that a noisy machine slows both alike.

Each command is timed from launch to exit (process start, imports, checkpoint load included), and
each ratio comes from figures of the same round. TextRecognitionDataGenerator is never a
dependency of the package: the script installs it into its own virtual environment
(`--trdg-venv`, default /tmp/saae-trdg; it needs Pillow < 10 and opencv-python, which the
package's environment must not get). Needs a CJK font (fonts-wqy-zenhei) for the plates.

    .venv/bin/python benchmarks/peer_ratios.py [--n 20000] [--rounds 2] [--baseline 0d3804f]

About 12 minutes on 2 cores with the defaults (the 32x32 run's 300 steps, then per round four
synthesis commands and two 150-step trainings).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from childproc import whole_command  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BASELINE = "0d3804f"  # main before issue 20's changes

TRAIN_CHILD = r"""
import json, sys
from saae_augment.training.loop import train
out, steps = sys.argv[1], int(sys.argv[2])
sets = [f"train.max_steps={steps}", "train.log_every=25", "train.eval_every=100000", "train.grid_every=100000",
        "train.ckpt_every=100000"]
r = train("digits", "digits", sets, out=out, overwrite=True, init=None)
rates = [json.loads(l)["it_s"] for l in open(out + "/metrics.jsonl") if '"train"' in l][1:]
print(json.dumps({"it_s": sum(rates) / len(rates), "content_acc": r.summary.get("content_acc")}))
"""


def trdg_command(venv: Path) -> str:
    """The trdg command in its own venv, installed there on first use."""
    trdg = venv / "bin" / "trdg"
    if not trdg.exists():
        print(f"installing TextRecognitionDataGenerator into {venv} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "-q", "trdg", "pillow<10"]
        subprocess.run(pip, check=True, capture_output=True)
    return str(trdg)


def make_runs(root: Path) -> tuple[Path, Path]:
    """(32×32 digits run, trained the default way; 32×128 plates-cn run, one step)."""
    from saae_augment.sets.plates import make_plate_photos
    from saae_augment.training.loop import train

    chars = train("digits", "digits", ["data.size=[32,32]"], out=root / "run-chars").run_dir
    make_plate_photos(root / "plates", 128, "plate-cn", (64, 224), seed=0)
    lines_over = ["train.max_steps=1", "train.judge_epochs=1", "train.eval_samples=16"]
    lines = train(root / "plates", "plates-cn", lines_over, out=root / "run-lines").run_dir
    return chars, lines


def train_rate(tree: Path, out: Path, steps: int) -> dict:
    """The digits recipe's it/s with the package from `tree` (run from there, so it is what imports)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run(
        [sys.executable, "-c", TRAIN_CHILD, str(out), str(steps)], cwd=tree, env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        raise SystemExit(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def peer_chars(trdg: str, digits: Path, n: int, out: Path) -> list[str]:
    """TextRecognitionDataGenerator writing single digits at 32x32 with 2 processes."""
    return [
        trdg,
        "-dt",
        str(digits),
        "-w",
        "1",
        "-c",
        str(n),
        "-f",
        "32",
        "-wd",
        "32",
        "-t",
        "2",
        "--output_dir",
        str(out),
    ]


def peer_lines(trdg: str, n: int, out: Path) -> list[str]:
    """TextRecognitionDataGenerator writing 32x128 lines (its dictionary's words) with 2 processes."""
    return [trdg, "-c", str(n), "-f", "32", "-wd", "128", "-t", "2", "--output_dir", str(out)]


def one_round(args: argparse.Namespace, trdg: str, runs: tuple[Path, Path], root: Path, base_tree: Path) -> dict:
    """Every figure once: ours and the peer's side by side, then training now and at the baseline."""
    cli = str(Path(sys.executable).with_name("saae-augment"))
    n, (chars, lines) = args.n, runs
    row = {
        "chars_ours": whole_command(
            [cli, "synth", "--ckpt", str(chars), "--n", str(n), "--out", str(root / "oc")], n, root / "oc"
        ),
        "chars_trdg": whole_command(peer_chars(trdg, root / "digits.txt", n, root / "pc"), n, root / "pc"),
        "lines_ours": whole_command(
            [cli, "synth", "--ckpt", str(lines), "--n", str(n), "--out", str(root / "ol")], n, root / "ol"
        ),
        "lines_trdg": whole_command(peer_lines(trdg, n, root / "pl"), n, root / "pl"),
    }
    now, then = train_rate(REPO, root / "tn", args.train_steps), train_rate(base_tree, root / "tb", args.train_steps)
    return row | {
        "train_now": now["it_s"],
        "train_baseline": then["it_s"],
        "train_now_content_acc": now["content_acc"],
        "train_baseline_content_acc": then["content_acc"],
    }


def ratio_line(name: str, rows: list[dict], ours: str, theirs: str, unit: str, against: str) -> str:
    """One figure per round and the median ratio."""
    ratios = [r[ours] / r[theirs] for r in rows]
    figures = ", ".join(f"{r[ours]:.2f} vs {r[theirs]:.2f} {unit}" for r in rows)
    each = ", ".join(f"{x:.2f}" for x in ratios)
    return f"{name}: {figures} -> {statistics.median(ratios):.2f}x {against} (rounds: {each})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="images per synthesis command")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--train-steps", type=int, default=150)
    ap.add_argument("--baseline", default=BASELINE, help="the commit whose training it/s is the reference")
    ap.add_argument("--trdg-venv", type=Path, default=Path("/tmp/saae-trdg"))
    args = ap.parse_args()
    trdg = trdg_command(args.trdg_venv)
    git = ["git", "-C", str(REPO), "worktree"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs = make_runs(root)
        (root / "digits.txt").write_text("\n".join("0123456789") + "\n")
        base_tree = root / "baseline"
        subprocess.run([*git, "add", "--detach", str(base_tree), args.baseline], check=True, capture_output=True)
        rows = []
        try:
            for i in range(args.rounds):
                rows.append(one_round(args, trdg, runs, root, base_tree))
                print(json.dumps({"round": i} | {k: round(v, 3) for k, v in rows[-1].items()}), flush=True)
        finally:
            subprocess.run([*git, "remove", "--force", str(base_tree)], capture_output=True)
        why = json.loads((root / "oc" / "manifest.json").read_text())["precision"]["why"]
    peer = "TextRecognitionDataGenerator"
    print(f"n={args.n:,} images per command, whole commands; character synth precision: {why}")
    print(ratio_line("characters 32x32", rows, "chars_ours", "chars_trdg", "img/s", peer))
    print(ratio_line("lines 32x128", rows, "lines_ours", "lines_trdg", "img/s", peer))
    print(ratio_line("training digits", rows, "train_now", "train_baseline", "it/s", args.baseline))


if __name__ == "__main__":
    main()
