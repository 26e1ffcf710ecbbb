"""Training runs on tiny recipes: run folder contents, resume determinism, checkpoint safety."""

import json
import math
from pathlib import Path

import pytest
import torch
import yaml

from saae_augment.core.checkpoint import load_checkpoint
from saae_augment.errors import SaaeError
from saae_augment.training.loop import train

FAST = ["train.max_steps=12", "train.ckpt_every=4", "train.eval_every=6", "train.grid_every=6", "train.log_every=3"]


def test_smoke_run_on_a_labels_csv_folder_writes_the_run_folder(glyph_folder, tmp_path):
    run = tmp_path / "R"
    result = train(glyph_folder, "smoke", out=run)
    assert result.status == "completed" and result.step == 20
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["name"] == "smoke" and config["train"]["max_steps"] == 20
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    train_recs = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in train_recs] == [5, 10, 15, 20]
    assert all({"rec", "d", "g_adv", "it_s"} <= set(r) for r in train_recs)
    assert evals and all(0.0 <= r["content_acc"] <= 1.0 and 0.0 <= r["copy_rate"] <= 1.0 for r in evals)
    assert sorted(p.name for p in (run / "grids").iterdir()) == ["step-000010.png", "step-000020.png"]
    assert (run / "checkpoints" / "last.pt").is_file()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["classes"] == list("0123456789")
    assert len(summary["checkpoint_sha256"]) == 64


def test_a_second_run_into_the_same_folder_is_refused(glyph_folder, tmp_path):
    run = tmp_path / "R"
    train(glyph_folder, "smoke", ["train.max_steps=2"], out=run)
    with pytest.raises(SaaeError, match="already holds output of saae-augment train"):
        train(glyph_folder, "smoke", ["train.max_steps=2"], out=run)


def _weights(run: Path) -> dict[str, torch.Tensor]:
    payload = load_checkpoint(run)
    return {
        **{f"G.{k}": v for k, v in payload["state"]["generator"].items()},
        **{f"D.{k}": v for k, v in payload["state"]["discriminator"].items()},
    }


@pytest.mark.slow
def test_interrupt_and_resume_ends_with_the_same_weights(glyph_folder, tmp_path):
    straight = train(glyph_folder, "smoke", FAST, out=tmp_path / "straight")
    assert straight.step == 12

    stop_after = {"step": 5}
    state = {"step": 0}

    def on_event(kind, payload):
        if kind == "progress":
            state["step"] = payload["step"]

    first = train(
        glyph_folder,
        "smoke",
        FAST,
        out=tmp_path / "cut",
        on_event=on_event,
        should_stop=lambda: state["step"] >= stop_after["step"],
    )
    assert first.status == "interrupted" and first.step == 5
    resumed = train(resume=tmp_path / "cut")
    assert resumed.status == "completed" and resumed.step == 12

    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "cut")
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert different == []
    steps = [
        json.loads(x)["step"]
        for x in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
        if json.loads(x)["kind"] == "train"
    ]
    assert steps == sorted(steps) and steps[-1] == 12


def test_resume_may_extend_the_budget_but_not_change_the_model(glyph_folder, tmp_path):
    train(glyph_folder, "smoke", ["train.max_steps=4"], out=tmp_path / "r")
    longer = train(resume=tmp_path / "r", overrides=["train.max_steps=6"])
    assert longer.step == 6
    with pytest.raises(SaaeError, match="only step/time/thread budgets"):
        train(resume=tmp_path / "r", overrides=["model.channels=64"])


def test_binary_discriminator_trains(glyph_folder, tmp_path):
    result = train(glyph_folder, "smoke", ["model.disc=binary", "train.max_steps=6"], out=tmp_path / "b")
    assert result.status == "completed" and "content_acc" in result.summary
    payload = load_checkpoint(tmp_path / "b")
    assert payload["state"]["discriminator"]["head.2.weight"].shape[0] == 1


@pytest.mark.parametrize("source", ["augmented", "same-class", "other"])
def test_every_style_source_trains(glyph_folder, tmp_path, source):
    result = train(glyph_folder, "smoke", [f"train.style_source={source}", "train.max_steps=3"], out=tmp_path / source)
    assert result.status == "completed"
    assert yaml.safe_load((tmp_path / source / "config.yaml").read_text())["train"]["style_source"] == source


def test_eval_gen_writes_every_metric_and_figure(smoke_run, tmp_path):
    from saae_augment.evaluation.generative import evaluate_generator

    out = tmp_path / "G"
    m = evaluate_generator(smoke_run, out, n=300, cas_steps=20, compare=smoke_run)
    saved = json.loads((out / "metrics.json").read_text())
    for key in (
        "parzen_ll",
        "parzen_se",
        "parzen_sigma",
        "parzen_ll_real_reference",
        "content_accuracy",
        "copy_rate",
        "nn_distance_samples",
        "nn_distance_test",
        "cas_accuracy",
    ):
        assert key in saved and key in saved["compare"], key
    assert saved["parzen_ll"] == pytest.approx(m["parzen_ll"])
    assert 0.1 <= saved["parzen_sigma"] <= 1.0 and 0 <= saved["content_accuracy"] <= 1
    report = (out / "report.md").read_text()
    assert "| AAE | 340 ± 2 |" in report and "real training images (reference)" in report
    for name in ("style-grid.png", "samples.png", "nearest.png", "interpolation.png", "compare-style-grid.png"):
        assert (out / name).is_file(), name


@pytest.mark.slow
def test_film_ema_and_content_variety_resume_to_the_same_weights(glyph_folder, tmp_path):
    """The options the digits recipe trains with keep the resume guarantee: EMA weights included."""
    options = FAST + ["model.style_inject=film", "train.ema=0.9", "glyph.fonts=2", "glyph.warp=0.5"]
    options += ["train.d_augment=1.0"]
    train(glyph_folder, "smoke", options, out=tmp_path / "straight")
    state = {"step": 0}

    def on_event(kind, payload):
        if kind == "progress":
            state["step"] = payload["step"]

    stop = lambda: state["step"] >= 5  # noqa: E731
    train(glyph_folder, "smoke", options, out=tmp_path / "cut", on_event=on_event, should_stop=stop)
    train(resume=tmp_path / "cut")
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "cut")
    for part in ("generator", "generator_ema", "discriminator"):
        assert all(torch.equal(a["state"][part][k], b["state"][part][k]) for k in a["state"][part]), part
    ema, raw = a["state"]["generator_ema"], a["state"]["generator"]
    assert any(not torch.equal(ema[k], raw[k]) for k in raw)  # the average is not the last step's weights
    assert "style_map.fc.weight" not in raw and "decoder.film.weight" in raw  # FiLM: no spatial style path


def test_style_consistency_loss_is_logged_only_when_asked_for(glyph_folder, tmp_path):
    records = {}
    for name, extra in (("off", []), ("on", ["loss.w_style=1.0"])):
        train(glyph_folder, "smoke", ["train.max_steps=5"] + extra, out=tmp_path / name)
        lines = (tmp_path / name / "metrics.jsonl").read_text().splitlines()
        records[name] = [json.loads(x) for x in lines if json.loads(x)["kind"] == "train"]
    assert all("style" not in r for r in records["off"])
    # logged, a real distance between style codes (not a constant 0), and it changes what is learned
    assert records["on"] and all(math.isfinite(r["style"]) and r["style"] > 0 for r in records["on"])
    off, on = (load_checkpoint(tmp_path / name)["state"]["generator"] for name in ("off", "on"))
    assert any(not torch.equal(off[k], on[k]) for k in off)
