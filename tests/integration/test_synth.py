"""Bulk synthesis: files and rows, determinism over batch sizes, shards and resumes, options."""

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from saae_augment.errors import SaaeError
from saae_augment.synthesis.run import merge_shards, synthesize
from tests.conftest import tree_digest


def rows(folder: Path, name: str = "labels.csv") -> list[dict]:
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_n_1000_writes_images_label_files_and_manifest(smoke_run, tmp_path):
    out = tmp_path / "S"
    result = synthesize(smoke_run, 1000, out, seed=7)
    pngs = list((out / "images").rglob("*.png"))
    assert len(pngs) == 1000 and result.written == 1000
    table = rows(out)
    assert len(table) == 1000 and list(table[0]) == ["path", "label", "style", "seed", "judge", "font"]
    assert len((out / "labels.txt").read_text().splitlines()) == 1000
    for row in table:  # every row names a complete, decodable image
        img = Image.open(out / row["path"])
        img.load()
        assert img.size == (16, 16)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["samples"] == 1000 and manifest["seed"] == 7
    assert len(manifest["settings"]["checkpoint_sha256"]) == 64
    judged = sum(r["judge"] == r["label"] for r in table) / 1000
    assert manifest["content_accuracy"] == round(judged, 4)
    assert table[0]["path"] == "images/0/0.png"  # names are indices, never labels


@pytest.mark.slow
def test_batch_size_never_changes_the_bytes(smoke_run, tmp_path):
    digests = {
        bs: tree_digest(synthesize(smoke_run, 300, tmp_path / f"b{bs}", seed=7, batch_size=bs).out)
        for bs in (1, 37, 512)
    }
    assert len(set(digests.values())) == 1, digests


def test_same_seed_same_bytes_other_seed_other_bytes(smoke_run, tmp_path):
    a = tree_digest(synthesize(smoke_run, 100, tmp_path / "a", seed=1).out)
    b = tree_digest(synthesize(smoke_run, 100, tmp_path / "b", seed=1).out)
    c = tree_digest(synthesize(smoke_run, 100, tmp_path / "c", seed=2).out)
    assert a == b != c


def test_two_shards_merged_equal_the_unsharded_run(smoke_run, tmp_path):
    whole = synthesize(smoke_run, 250, tmp_path / "whole", seed=3).out
    synthesize(smoke_run, 250, tmp_path / "s0", seed=3, shard=(0, 2))
    synthesize(smoke_run, 250, tmp_path / "s1", seed=3, shard=(1, 2))
    merged = tmp_path / "merged"
    merge_shards([tmp_path / "s0", tmp_path / "s1"], merged)
    assert tree_digest(merged) == tree_digest(whole)
    assert json.loads((merged / "manifest.json").read_text())["samples"] == 250


def test_shards_in_one_folder_merge_in_place(smoke_run, tmp_path):
    whole = synthesize(smoke_run, 90, tmp_path / "whole", seed=4).out
    shared = tmp_path / "shared"
    for i in range(3):
        synthesize(smoke_run, 90, shared, seed=4, shard=(i, 3))
    merge_shards([shared], shared)
    assert tree_digest(shared) == tree_digest(whole)


def test_merge_refuses_missing_shards(smoke_run, tmp_path):
    synthesize(smoke_run, 40, tmp_path / "s0", seed=3, shard=(0, 2))
    with pytest.raises(SaaeError, match="shards 1/2 are missing"):
        merge_shards([tmp_path / "s0"], tmp_path / "m")


@pytest.mark.slow
def test_resume_of_a_complete_run_writes_nothing_new(smoke_run, tmp_path):
    out = synthesize(smoke_run, 50, tmp_path / "S", seed=1).out
    before = tree_digest(out)
    again = synthesize(smoke_run, 50, out, seed=1, resume=True)
    assert again.generated_now == 0 and tree_digest(out) == before


def test_an_existing_synthesis_is_not_overwritten_and_resume_checks_settings(smoke_run, tmp_path):
    out = synthesize(smoke_run, 20, tmp_path / "S", seed=1).out
    with pytest.raises(SaaeError, match="already holds output of saae-augment synth"):
        synthesize(smoke_run, 20, out, seed=1)
    with pytest.raises(SaaeError, match="other settings"):
        synthesize(smoke_run, 20, out, seed=2, resume=True)
    with pytest.raises(SaaeError, match=r"other settings \(n\)"):
        synthesize(smoke_run, 30, out, seed=1, resume=True)


@pytest.mark.slow
def test_classes_labels_file_and_match(smoke_run, tmp_path):
    only = rows(synthesize(smoke_run, 200, tmp_path / "c", classes=["3", "8"]).out)
    assert {r["label"] for r in only} == {"3", "8"}
    wanted = ["7", "7", "1", "0"]
    exact = rows(synthesize(smoke_run, 8, tmp_path / "l", labels=wanted).out)
    assert [r["label"] for r in exact] == wanted * 2
    matched = Counter(r["label"] for r in rows(synthesize(smoke_run, 2000, tmp_path / "m", content="match").out))
    assert set(matched) == set("0123456789") and all(120 < v < 280 for v in matched.values())
    with pytest.raises(SaaeError, match="cannot write"):
        synthesize(smoke_run, 8, tmp_path / "x", labels=["7", "Q"])
    with pytest.raises(SaaeError, match="cannot write"):
        synthesize(smoke_run, 8, tmp_path / "y", classes=["Q"])


def test_balance_writes_exact_quotas_whatever_the_shards_and_records_them(smoke_run, tmp_path):
    whole = synthesize(smoke_run, 30, tmp_path / "b", content="balance")
    assert set(Counter(r["label"] for r in rows(whole.out)).values()) == {3}  # a balanced run: n/k each
    quotas = json.loads(whole.manifest.read_text())["settings"]["content"]["quotas"]
    assert quotas == dict.fromkeys("0123456789", 3)
    for i in range(2):
        synthesize(smoke_run, 30, tmp_path / f"s{i}", content="balance", shard=(i, 2))
    merge_shards([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")
    assert tree_digest(tmp_path / "merged") == tree_digest(whole.out)


def test_unlabeled_style_folder_and_style_mix(smoke_run, tmp_path):
    pool = tmp_path / "pool"
    for i in range(5):
        pool.mkdir(exist_ok=True)
        Image.fromarray(np.full((20, 30), 40 * i, np.uint8)).save(pool / f"s{i}.png")
    table = rows(synthesize(smoke_run, 60, tmp_path / "S", styles=str(pool), style_mix=True).out)
    assert {r["style"] for r in table} <= {f"s{i}.png" for i in range(5)}
    assert {"style_b", "mix"} <= set(table[0])
    assert len({r["mix"] for r in table}) > 30


def test_augmentation_is_seeded_per_sample(smoke_run, tmp_path):
    plain = tree_digest(synthesize(smoke_run, 64, tmp_path / "p", seed=1).out)
    a = tree_digest(synthesize(smoke_run, 64, tmp_path / "a", seed=1, augment="scan", batch_size=7).out)
    b = tree_digest(synthesize(smoke_run, 64, tmp_path / "b", seed=1, augment="scan", batch_size=64).out)
    assert a == b != plain


def test_bad_augmentation_recipes_are_one_line_errors(smoke_run, tmp_path):
    bad = tmp_path / "aug.yaml"
    bad.write_text("transforms:\n  - Affine: {rotat: 3}\n")
    with pytest.raises(SaaeError, match="Affine takes no parameter rotat"):
        synthesize(smoke_run, 8, tmp_path / "S", augment=str(bad))
    bad.write_text("transforms:\n  - NotATransform: {}\n")
    with pytest.raises(SaaeError, match="not an albumentations transform"):
        synthesize(smoke_run, 8, tmp_path / "S", augment=str(bad))
    with pytest.raises(SaaeError, match="no augmentation 'nope'"):
        synthesize(smoke_run, 8, tmp_path / "S", augment="nope")


def test_lmdb_output_reads_back_with_the_same_labels(smoke_run, tmp_path):
    pytest.importorskip("lmdb", reason="lmdb is in the dev install; this runs in CI")
    from saae_augment.data.load import load_dataset

    out = synthesize(smoke_run, 120, tmp_path / "L", seed=2, fmt="lmdb").out
    data = load_dataset(f"lmdb:{out}")
    assert data.labels == [r["label"] for r in rows(out)] and len(data) == 120
    png = synthesize(smoke_run, 120, tmp_path / "P", seed=2).out
    assert np.array_equal(data.images[5], np.asarray(Image.open(png / rows(png)[5]["path"])))


@pytest.fixture(scope="module")
def varied_run(glyph_folder, tmp_path_factory) -> Path:
    """The smoke recipe with content from 3 fonts, warped glyphs and DiffAugment for D."""
    from saae_augment.training.loop import train

    run = tmp_path_factory.mktemp("varied") / "run"
    # a judge that has really learned the glyphs (the smoke recipe's 2 epochs may read one class
    # for everything), so that what it reads in a sample depends on the sample
    options = ["glyph.fonts=3", "glyph.warp=0.8", "train.d_augment=1.0", "train.judge_epochs=30"]
    train(glyph_folder, "smoke", options, out=run)
    return run


def test_content_variety_draws_several_fonts_and_keeps_bytes_independent_of_batches(varied_run, tmp_path):
    from saae_augment.core.checkpoint import load_checkpoint

    payload = load_checkpoint(varied_run)
    assert payload["glyph"]["banks"].shape[:2] == (3, 10) and len(payload["glyph"]["fonts"]) == 3
    a = synthesize(varied_run, 150, tmp_path / "a", seed=2, batch_size=150).out
    b = synthesize(varied_run, 150, tmp_path / "b", seed=2, batch_size=13).out
    assert tree_digest(a) == tree_digest(b)
    table = rows(a)
    assert {r["font"] for r in table} == set(payload["glyph"]["fonts"])
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["settings"]["content_fonts"] == payload["glyph"]["fonts"]
    assert manifest["settings"]["content_warp"] == 0.8
    # warped content: two samples of one class from one font and one style still differ
    same = {}
    for r in table:
        same.setdefault((r["label"], r["font"], r["style"]), []).append(r["path"])
    pair = next(p for p in same.values() if len(p) >= 2)
    assert not np.array_equal(np.array(Image.open(a / pair[0])), np.array(Image.open(a / pair[1])))


def test_select_redraws_only_what_the_judge_misreads(varied_run, tmp_path):
    plain = rows(synthesize(varied_run, 300, tmp_path / "p", seed=4).out)
    chosen_dir = synthesize(varied_run, 300, tmp_path / "s", seed=4, select=True).out
    chosen = rows(chosen_dir)
    assert [r["label"] for r in chosen] == [r["label"] for r in plain]  # selection never changes labels
    misread = sum(r["judge"] != r["label"] for r in plain)
    assert misread > 0, "the 20-step smoke model should misread some samples, or this test shows nothing"
    assert sum(r["judge"] != r["label"] for r in chosen) < misread
    assert all(r["judge"] == r["label"] or r["tries"] == "8" for r in chosen)
    for p, s in zip(plain, chosen, strict=True):
        if p["judge"] == p["label"]:  # read right at the first try: the very same sample
            assert s["tries"] == "1" and s["seed"] == p["seed"]
            assert (tmp_path / "p" / p["path"]).read_bytes() == (chosen_dir / s["path"]).read_bytes()
        else:
            assert int(s["tries"]) > 1 and s["seed"] != p["seed"]


def test_auto_precision_is_measured_recorded_and_the_same_for_shards_and_resumes(smoke_run, tmp_path, monkeypatch):
    from saae_augment.synthesis import precision

    monkeypatch.setattr(precision, "native_bf16", lambda device: True)  # as on an AMX CPU, wherever CI runs
    whole = synthesize(smoke_run, 600, tmp_path / "whole", seed=3)
    manifest = json.loads((whole.out / "manifest.json").read_text())
    chose, record = manifest["settings"]["precision"], manifest["precision"]
    assert record["calibration_samples"] == 512 and chose in ("fp32", "bf16")
    assert (chose == "bf16") == (record["judge_read_bf16"] >= record["judge_read_fp32"] - 0.005)
    for i in (0, 1):
        synthesize(smoke_run, 600, tmp_path / f"s{i}", seed=3, shard=(i, 2))
    merge_shards([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged", of=2)
    assert tree_digest(tmp_path / "merged") == tree_digest(whole.out)

    # a run begun in bf16, cut at row 300 and resumed under auto where bf16 is not native, goes on in bf16
    cut = synthesize(smoke_run, 600, tmp_path / "cut", seed=3, precision="bf16").out
    before = tree_digest(cut)
    for name, keep in (("labels.csv", 301), ("labels.txt", 300)):
        lines = (cut / name).read_text().splitlines(keepends=True)
        (cut / name).write_text("".join(lines[:keep]))
    monkeypatch.setattr(precision, "native_bf16", lambda device: False)
    again = synthesize(smoke_run, 600, cut, seed=3, resume=True)
    assert again.generated_now == 300 and tree_digest(cut) == before
    resumed = json.loads((cut / "manifest.json").read_text())
    assert resumed["settings"]["precision"] == "bf16" and "resumed in bf16" in resumed["precision"]["why"]
