"""The commands as users type them, through Typer's CliRunner: exit codes, messages, files."""

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from saae_augment import __version__
from saae_augment.cli.app import app
from tests.conftest import assert_one_line_error

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def test_render_digits_writes_everything(tmp_path):
    out = tmp_path / "D"
    result = run("render", "--charset", "digits", "--size", "32", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(list((out / "images").glob("*.png"))) == 10
    for name in ("labels.csv", "labels.txt", "sheet.png", "manifest.json"):
        assert (out / name).is_file()
    assert "rendered 10" in result.stdout


def test_render_plate_cn_with_a_latin_font_names_missing_characters(tmp_path):
    from saae_augment.data.fonts import default_font_path

    result = run("render", "--charset", "plate-cn", "--font", str(default_font_path()), "--out", str(tmp_path / "cn"))
    assert_one_line_error(result, "lacks 31 character(s)", "京", "琼", "DejaVu Sans")
    assert not (tmp_path / "cn").exists()


def test_render_a_plate_without_font_picks_a_cjk_font(tmp_path, cjk_font):
    from PIL import Image

    out = tmp_path / "plate"
    result = run("render", "--charset", "plate-cn", "--text", "京A12345", "--size", "32x128", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "labels.txt").read_text(encoding="utf-8") == "images/000000.png\t京A12345\n"
    image = Image.open(out / "images/000000.png")
    assert image.size == (128, 32) and image.getextrema()[1] == 255  # drawn, not blank
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not open_font_missing(manifest["settings"]["fonts"][0]["path"], "京A12345")


def open_font_missing(path: str, text: str) -> str:
    from saae_augment.data.fonts import open_font

    return open_font(path).missing(text)


def test_make_plates_and_a_bad_pattern(tmp_path):
    out = tmp_path / "p"
    result = run("data", "make-plates", "--n", "3", "--preset", "plate-us", "--size", "24x96", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len((out / "labels.txt").read_text().splitlines()) == 3 and (out / "sheet.png").is_file()
    bad = run("data", "make-plates", "--n", "3", "--preset", "{plate}", "--out", str(tmp_path / "q"))
    assert_one_line_error(bad, "unknown field {plate}")


def test_render_plate_cn_with_cjk_font_renders_65(tmp_path, cjk_font):
    out = tmp_path / "cn"
    result = run("render", "--charset", "plate-cn", "--font", str(cjk_font.path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len((out / "labels.txt").read_text(encoding="utf-8").splitlines()) == 65


def test_render_plate_cn_by_family_name_and_a_whole_plate_line(tmp_path, cjk_font):
    out = tmp_path / "plate"
    result = run(
        "render",
        "--charset",
        "plate-cn",
        "--text",
        "京A12345",
        "--font",
        cjk_font.family,
        "--size",
        "32x128",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert (out / "labels.txt").read_text(encoding="utf-8") == "images/000000.png\t京A12345\n"


def test_render_skip_reports_what_was_left_out(tmp_path):
    from saae_augment.data.fonts import default_font_path

    args = ["--chars", "AB京", "--font", str(default_font_path()), "--on-missing", "skip"]
    result = run("render", *args, "--out", str(tmp_path / "o"))
    assert result.exit_code == 0
    assert "京" in result.stderr and "rendered 2" in result.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--charset", "klingon"], "unknown charset"),
        (["--charset", "digits", "--size", "0"], "size"),
        (["--charset", "digits", "--size", "abc"], "size"),
        ([], "nothing to render"),
        (["--charset", "digits", "--font", "/no/such/font.ttf"], "does not exist"),
        (["--charset", "digits", "--text", "12a"], "outside the charset"),
    ],
)
def test_render_bad_values_get_one_clear_line(tmp_path, args, needle):
    result = run("render", *args, "--out", str(tmp_path / "o"))
    assert_one_line_error(result, needle)


def test_render_with_a_file_that_is_not_a_font(tmp_path):
    fake = tmp_path / "font.ttf"
    fake.write_text("hello")
    result = run("render", "--charset", "digits", "--font", str(fake), "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "not a usable font", str(fake))


def test_inspect_digits_reports_1797_images_in_10_classes():
    result = run("data", "inspect", "digits")
    assert result.exit_code == 0, result.output
    assert "1,797 image(s) in 10 class(es)" in result.stdout
    assert "no problems found" in result.stdout


def test_inspect_json_is_machine_readable(csv_folder):
    result = run("data", "inspect", str(csv_folder), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["images"] == 6 and report["per_class"] == {"0": 2, "1": 2, "2": 2}


@pytest.mark.parametrize("fixture", ["csv_folder", "txt_folder", "class_folders", "idx_folder"])
def test_inspect_reads_every_folder_layout(request, fixture):
    path = request.getfixturevalue(fixture)
    result = run("data", "inspect", str(path), "--strict")
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.stdout


def test_inspect_names_each_problem_and_strict_exits_nonzero(bad_csv_folder):
    lenient = run("data", "inspect", str(bad_csv_folder), "--charset", "digits")
    assert lenient.exit_code == 0
    for needle in (
        "trunc.png",
        "missing.png does not exist",
        "../outside.png",
        "'x' outside the charset",
        "4 problem(s)",
    ):
        assert needle in lenient.stdout, needle
    strict = run("data", "inspect", str(bad_csv_folder), "--charset", "digits", "--strict")
    assert strict.exit_code == 1
    assert "Traceback" not in strict.output
    assert "4 problem(s)" in strict.stderr


def test_inspect_nonexistent_and_unlabelled(tmp_path):
    assert_one_line_error(run("data", "inspect", str(tmp_path / "nope")), "does not exist")
    (tmp_path / "a.png").write_bytes(b"x")
    assert_one_line_error(run("data", "inspect", str(tmp_path)), "no labels")


def test_inspect_sheet_shows_samples_of_each_class(tmp_path):
    from PIL import Image

    sheet = tmp_path / "digits.png"
    result = run("data", "inspect", "digits", "--sheet", str(sheet))
    assert result.exit_code == 0
    img = Image.open(sheet)
    # 10 classes, one row each: much taller than wide for 8 samples per row
    assert img.size[1] > img.size[0]


def test_render_rejects_unknown_on_missing_policy(tmp_path):
    assert_one_line_error(
        run("render", "--charset", "digits", "--on-missing", "maybe", "--out", str(tmp_path / "o")), "on_missing"
    )


@pytest.mark.slow
def test_train_smoke_on_a_labels_csv_folder(glyph_folder, tmp_path):
    run_dir = tmp_path / "R"
    result = run("train", "--data", str(glyph_folder), "--recipe", "smoke", "--max-steps", "20", "--out", str(run_dir))
    assert result.exit_code == 0, result.output
    for name in ("config.yaml", "metrics.jsonl", "checkpoints/last.pt", "summary.json"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "grids").glob("step-*.png"))
    assert "completed at step 20" in result.stdout and "content accuracy" in result.stdout
    more = run("train", "--resume", str(run_dir), "--max-steps", "24")
    assert more.exit_code == 0, more.output
    assert "completed at step 24" in more.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--set", "model.chanels=3"], "did you mean model.channels"),
        (["--recipe", "nope"], "no recipe 'nope'"),
        (["--device", "cuda"], "CUDA"),
        (["--disc", "ternary"], "model.disc must be"),
        (["--data", "/no/such/folder"], "does not exist"),
    ],
)
def test_train_bad_input_gets_one_clear_line(tmp_path, monkeypatch, args, needle):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the CUDA case is about machines without one
    result = run("train", "--recipe", "smoke", *args, "--out", str(tmp_path / "R"))
    assert_one_line_error(result, needle)


def test_train_resume_of_a_folder_without_a_run(tmp_path):
    assert_one_line_error(run("train", "--resume", str(tmp_path)), "no checkpoint")


def test_synth_command_writes_1000_samples_and_batch_size_does_not_matter(smoke_run, tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    first = run("synth", "--ckpt", str(smoke_run), "--n", "1000", "--out", str(a), "--seed", "7")
    assert first.exit_code == 0, first.output
    assert "wrote 1,000 samples" in first.stdout and "content accuracy" in first.stdout
    second = run("synth", "--ckpt", str(smoke_run), "--n", "1000", "--out", str(b), "--seed", "7", "--batch-size", "96")
    assert second.exit_code == 0, second.output
    assert (a / "labels.csv").read_bytes() == (b / "labels.csv").read_bytes()
    for p in (a / "images").rglob("*.png"):
        assert p.read_bytes() == (b / p.relative_to(a)).read_bytes()


def test_synth_shards_merge_through_the_cli(smoke_run, tmp_path):
    for i in range(2):
        r = run("synth", "--ckpt", str(smoke_run), "--n", "40", "--out", str(tmp_path / "S"), "--shard", f"{i}/2")
        assert r.exit_code == 0, r.output
    merged = run("synth-merge", str(tmp_path / "S"), "--out", str(tmp_path / "S"))
    assert merged.exit_code == 0, merged.output
    assert len((tmp_path / "S" / "labels.txt").read_text().splitlines()) == 40


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--shard", "2/2"], "need 0 <= i < n"),
        (["--shard", "x"], "is not i/n"),
        (["--format", "tiff"], "--format must be png or lmdb"),
        (["--content", "zipf"], "--content must be one of"),
        (["--classes", ","], "--classes is empty"),
        (["--augment", "nope"], "no augmentation 'nope'"),
    ],
)
def test_synth_bad_values_get_one_clear_line(smoke_run, tmp_path, args, needle):
    result = run("synth", "--ckpt", str(smoke_run), "--n", "10", "--out", str(tmp_path / "S"), *args)
    assert_one_line_error(result, needle)


def test_synth_errors_for_missing_checkpoint_and_existing_output(smoke_run, tmp_path):
    assert_one_line_error(
        run("synth", "--ckpt", str(tmp_path), "--n", "5", "--out", str(tmp_path / "S")), "no checkpoint"
    )
    ok = run("synth", "--ckpt", str(smoke_run), "--n", "5", "--out", str(tmp_path / "S"))
    assert ok.exit_code == 0
    again = run("synth", "--ckpt", str(smoke_run), "--n", "5", "--out", str(tmp_path / "S"))
    assert_one_line_error(again, "already holds output of saae-augment synth", "--overwrite")


@pytest.mark.slow
def test_eval_ocr_done_when_command(smoke_run, glyph_folder, tmp_path):
    synth_dir = tmp_path / "S"
    assert run("synth", "--ckpt", str(smoke_run), "--n", "200", "--out", str(synth_dir)).exit_code == 0
    split = run("data", "split", str(glyph_folder), "--per-class", "4", "--out", str(tmp_path / "D"))
    assert split.exit_code == 0, split.output
    result = run(
        "eval-ocr",
        "--train",
        str(tmp_path / "D" / "train"),
        "--test",
        str(tmp_path / "D" / "test"),
        "--synth",
        str(synth_dir),
        "--ratios",
        "0,1",
        "--seeds",
        "2",
        "--steps",
        "20",
        "--out",
        str(tmp_path / "E"),
    )
    assert result.exit_code == 0, result.output
    for name in ("results.json", "results.csv", "accuracy.png"):
        assert (tmp_path / "E" / name).is_file()
    summary = json.loads((tmp_path / "E" / "results.json").read_text())["summary"]
    for row in summary:  # the terminal table shows every summary row
        assert f"{100 * row['mean']:.2f} ± {100 * row['std']:.2f}" in result.stdout
    assert "Best with our images:" in result.stdout and "points." in result.stdout  # and the verdict


def test_eval_ocr_bad_ratios_and_missing_synth(glyph_folder, tmp_path):
    assert_one_line_error(
        run(
            "eval-ocr",
            "--train",
            str(glyph_folder),
            "--test",
            str(glyph_folder),
            "--ratios",
            "a,b",
            "--out",
            str(tmp_path / "E"),
        ),
        "--ratios",
    )
    assert_one_line_error(
        run(
            "eval-ocr",
            "--train",
            str(glyph_folder),
            "--test",
            str(glyph_folder),
            "--regime",
            "synth",
            "--out",
            str(tmp_path / "E"),
        ),
        "need --synth",
    )


def test_eval_gen_command(smoke_run, tmp_path):
    result = run("eval-gen", "--ckpt", str(smoke_run), "--n", "200", "--cas-steps", "10", "--out", str(tmp_path / "G"))
    assert result.exit_code == 0, result.output
    assert "Parzen" in result.stdout and "CAS" in result.stdout
    assert (tmp_path / "G" / "metrics.json").is_file() and (tmp_path / "G" / "report.md").is_file()
    assert_one_line_error(run("eval-gen", "--ckpt", str(tmp_path), "--out", str(tmp_path / "H")), "no checkpoint")


def test_a_long_tail_split_and_eval_ocr_scores_the_rare_classes_apart(tmp_path):
    split = run("data", "split", "digits", "--per-class", "10", "--rare", "5,6,7,8,9:2", "--out", str(tmp_path / "D"))
    assert split.exit_code == 0, split.output
    train_labels = (tmp_path / "D" / "train" / "labels.txt").read_text().split()[1::2]
    assert sorted(set(train_labels)) == [str(d) for d in range(10)]
    assert [train_labels.count(str(d)) for d in range(10)] == [10] * 5 + [2] * 5
    args = ["eval-ocr", "--train", str(tmp_path / "D" / "train"), "--test", str(tmp_path / "D" / "test")]
    result = run(*args, "--regime", "real", "--seeds", "1", "--steps", "5", "--out", str(tmp_path / "E"))
    assert result.exit_code == 0, result.output
    assert "rare (detected" in result.stderr and "5, 6, 7, 8, 9" in result.stderr
    saved = json.loads((tmp_path / "E" / "results.json").read_text())
    assert saved["settings"]["rare"] == ["5", "6", "7", "8", "9"]
    (row,) = saved["runs"]
    assert 0.0 <= row["rare_accuracy"] <= 1.0 and row["n_rare_test"] == saved["settings"]["n_rare_test"] > 800
    assert "rare classes" in result.stdout and "rare" in (tmp_path / "E" / "report.md").read_text()
    off = run(*args, "--regime", "real", "--seeds", "1", "--steps", "2", "--rare", "none", "--out", str(tmp_path / "F"))
    assert off.exit_code == 0 and "rare_accuracy" not in (tmp_path / "F" / "results.csv").read_text()
    bad = run(*args, "--regime", "real", "--steps", "2", "--rare", "5,Q", "--out", str(tmp_path / "G"))
    assert_one_line_error(bad, "--rare names 'Q'")


def test_plates_split_by_province_with_a_balanced_test_set(tmp_path):
    made = run(
        "data", "make-plates", "--n", "80", "--preset", "plate-us", "--size", "24x96", "--out", str(tmp_path / "P")
    )
    assert made.exit_code == 0, made.output
    args = ["data", "split", str(tmp_path / "P"), "--by", "first", "--test-per-class", "2", "--per-class", "2"]
    result = run(*args, "--rare", "1,2,3:1", "--out", str(tmp_path / "S"))
    assert result.exit_code == 0, result.output
    firsts = lambda part: [x[0] for x in (tmp_path / "S" / part / "labels.txt").read_text().split()[1::2]]  # noqa: E731
    assert Counter(firsts("test")) == dict.fromkeys("0123456789", 2)
    train = Counter(firsts("train"))
    assert [train[d] for d in "123"] == [1, 1, 1] and all(train[d] == 2 for d in "0456789")
    manifest = json.loads((tmp_path / "S" / "manifest.json").read_text())["settings"]
    assert manifest["by"] == "first" and manifest["unused"] == 80 - 20 - 17
    short = run(*args[:-1], "3", "--out", str(tmp_path / "T"))  # '7' has 4 plates: 2 to test leaves 2, not 3
    assert_one_line_error(short, "first character '7' has 4 image(s)", "needs 5")
    whole = run("data", "split", str(tmp_path / "P"), "--per-class", "1", "--out", str(tmp_path / "W"))
    assert_one_line_error(whole, "has 1 image(s)", "--by first")
    none = run("data", "split", str(tmp_path / "P"), "--by", "first", "--out", str(tmp_path / "N"))
    assert_one_line_error(none, "--per-class", "--test-per-class")


def test_make_plates_skew_makes_a_ccpd_like_long_tail(tmp_path):
    out = tmp_path / "P"
    made = run(
        "data",
        "make-plates",
        "--n",
        "60",
        "--preset",
        "plate-us",
        "--size",
        "24x96",
        "--skew",
        "7=0.8",
        "--out",
        str(out),
    )
    assert made.exit_code == 0, made.output
    labels = (out / "labels.txt").read_text().split()[1::2]
    assert 0.6 < sum(x[0] == "7" for x in labels) / 60 < 0.95
    assert json.loads((out / "manifest.json").read_text())["settings"]["skew"] == {"char": "7", "share": 0.8}
    bad = run(
        "data", "make-plates", "--n", "3", "--preset", "plate-us", "--skew", "Q=0.8", "--out", str(tmp_path / "B")
    )
    assert_one_line_error(bad, "does not start with a field")
