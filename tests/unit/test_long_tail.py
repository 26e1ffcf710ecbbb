"""Long tails: rare units detected and scored apart, skewed plate sets, balanced content plans,
and the verdict on rare classes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from saae_augment.core.textmetrics import aligned_hits
from saae_augment.data.plates import PlateTexts, Skew, parse_skew
from saae_augment.data.rarity import detect_rare, parse_rare, rare_units
from saae_augment.errors import UsageError
from saae_augment.evaluation.report import metric_columns, table_rows, verdict, verdict_line
from saae_augment.tasks import CHARS, LINES
from saae_augment.tasks.classes import content_spec, fill_quotas
from saae_augment.tasks.texts import line_texts

DIGITS = [str(d) for d in range(10)]


def test_half_the_classes_with_few_images_are_detected_as_rare():
    counts = Counter({d: (50 if int(d) < 5 else 2) for d in DIGITS})
    assert detect_rare(counts, DIGITS) == ["5", "6", "7", "8", "9"]
    five_to_one = Counter({d: (10 if int(d) < 5 else 2) for d in DIGITS})
    assert detect_rare(five_to_one, DIGITS) == ["5", "6", "7", "8", "9"]


def test_a_balanced_set_has_no_rare_class():
    rng = np.random.default_rng(0)
    counts = Counter(str(d) for d in rng.integers(10, size=1800))
    assert detect_rare(counts, DIGITS) == []
    plates = PlateTexts("plate-cn")
    labels = [plates.text(0, i) for i in range(300)]
    assert rare_units("auto", labels, LINES.vocabulary(labels), LINES.units)[0] == []


def test_ccpd_like_plates_flag_the_other_provinces_and_no_latin_character():
    skewed = PlateTexts("plate-cn", Skew("皖", 0.8))
    labels = [skewed.text(0, i) for i in range(1000)]
    rare, how = rare_units("auto", labels, LINES.vocabulary(labels), LINES.units)
    assert how.startswith("detected")
    assert "皖" not in rare and len(rare) >= 25
    assert all(not c.isascii() for c in rare)  # provinces only: letters and digits are on every plate


def test_rare_units_can_be_named_or_switched_off():
    assert parse_rare("7, 9", DIGITS) == ["7", "9"]
    with pytest.raises(UsageError, match="'x'"):
        parse_rare("7,x", DIGITS)
    assert rare_units("none", ["1", "2"], ["1", "2"], CHARS.units) == ([], "none")


def test_skew_puts_one_character_first_and_keeps_the_rest_of_each_text():
    plain, skewed = PlateTexts("plate-cn"), PlateTexts("plate-cn", parse_skew("皖=0.8"))
    a = [plain.text(3, i) for i in range(2000)]
    b = [skewed.text(3, i) for i in range(2000)]
    assert all(x[1:] == y[1:] for x, y in zip(a, b, strict=True))
    share = sum(t[0] == "皖" for t in b) / len(b)
    assert 0.77 < share < 0.83
    assert len({t[0] for t in b}) > 25  # the tail is still there


@pytest.mark.parametrize("text", ["皖", "皖=1.2", "皖=0", "AB=0.5", "皖=x"])
def test_a_malformed_skew_is_one_usage_error(text):
    with pytest.raises(UsageError, match="CHAR=SHARE"):
        parse_skew(text)


def test_a_skew_the_first_field_cannot_write_is_refused():
    with pytest.raises(UsageError, match="does not start with a field"):
        PlateTexts("plate-us", Skew("皖", 0.8))


def test_balanced_classes_come_out_equally_often_in_any_order_of_drawing():
    spec = content_spec(DIGITS, "balance", [7] * 10, n=1000)
    rng = np.random.default_rng(0)
    labels = [spec.draw(5, i, rng) for i in range(1000)]
    assert set(Counter(labels).values()) == {100}
    assert labels[:10] != DIGITS  # shuffled
    assert [spec.draw(5, i, rng) for i in (999, 3, 500)] == [labels[999], labels[3], labels[500]]
    assert spec.describe()["mode"] == "balance"


def test_balance_fills_a_long_tail_up_so_real_and_synthetic_are_even():
    real = [50] * 5 + [2] * 5  # 50 images of 0-4, 2 of 5-9
    spec = content_spec(DIGITS, "balance", real, n=5000)
    counts = Counter(spec.draw(3, i, None) for i in range(5000))
    assert sum(counts.values()) == 5000
    totals = {c: counts[c] + r for c, r in zip(DIGITS, real, strict=True)}
    assert max(totals.values()) - min(totals.values()) <= 1  # every class filled to the same level
    assert counts["7"] == 524 and counts["0"] == 476
    few = Counter(content_spec(DIGITS, "balance", real, n=100).draw(3, i, None) for i in range(100))
    assert set(few) == set("56789") and set(few.values()) == {20}  # too few to reach the thick classes
    assert content_spec(DIGITS, "balance", real, n=100).describe()["quotas"]["5"] == 20


def test_fill_quotas_sum_to_n_and_favour_the_thin():
    for real, n in (([5, 3], 1), ([0, 0, 0], 7), ([100, 1, 1, 30], 61), ([9] * 4, 3)):
        q = fill_quotas(real, n)
        assert sum(q) == n and all(x >= 0 for x in q)
        assert all(qa >= qb for ra, qa in zip(real, q, strict=True) for rb, qb in zip(real, q, strict=True) if ra < rb)


def test_balanced_line_texts_write_the_rare_characters_more_often():
    skewed = PlateTexts("plate-cn", Skew("皖", 0.8))
    training = [skewed.text(0, i) for i in range(500)]
    charset = "".join(sorted(set("".join(training))))
    plain = line_texts(charset, training_labels=training)
    balanced = line_texts(charset, training_labels=training, balance=training)
    share = lambda source: sum(source.draw(1, i)[0] != "皖" for i in range(600)) / 600  # noqa: E731
    assert share(plain) < 0.3 < 0.6 < share(balanced)
    assert [balanced.draw(1, i) for i in (4, 9)] == [balanced.draw(1, 4), balanced.draw(1, 9)]
    assert "balance" in balanced.describe()["content"]
    with pytest.raises(UsageError, match="labels-file"):
        line_texts(charset, labels=training[:3], balance=training)


def test_rare_score_reads_only_the_items_holding_a_rare_unit():
    truth = ["A1", "B1", "A2", "C3"]
    read = ["A1", "B7", "A9", "C3"]
    s = LINES.rare_score(read, truth, ["B", "C"])
    assert s["n_rare_test"] == 2 and s["rare_accuracy"] == 0.5 and s["rare_cer"] == 0.25
    c = CHARS.rare_score(["1", "2", "3", "3"], ["1", "2", "3", "4"], ["3", "4"])
    assert c == {"rare_accuracy": 0.5, "n_rare_test": 2}


def _row(regime, ratio, mean, rare):
    return {"regime": regime, "ratio": ratio, "mean": mean, "std": 0.01, "seeds": 3} | (
        {"rare_accuracy": rare, "rare_accuracy_std": 0.02} if rare is not None else {}
    )


def test_the_verdict_covers_the_rare_classes_each_side_at_its_best_there():
    summary = [
        _row("real+aug", 0.0, 0.90, 0.40),
        _row("real+aug+fonts", 1.0, 0.92, 0.35),
        _row("real+aug+synth", 1.0, 0.91, 0.60),
        _row("real+aug+synth", 5.0, 0.93, 0.50),
    ]
    v = verdict(summary)
    assert v["difference"] == pytest.approx(0.01)
    assert v["rare"]["best_with_ours"]["ratio"] == 1.0 and v["rare"]["best_without"]["regime"] == "real+aug"
    assert v["rare"]["difference"] == pytest.approx(0.20)
    line = verdict_line(v)
    assert "difference +1.00 points" in line and "rare" in line and "difference +20.00 points" in line
    assert metric_columns(summary, CHARS)[-1].startswith("rare classes")
    assert table_rows(summary, CHARS)[0][3] == "40.00 ± 2.00"


def test_without_rare_figures_the_table_and_verdict_stay_as_they_were():
    summary = [_row("real", 0.0, 0.8, None), _row("real+synth", 1.0, 0.85, None)]
    assert "rare" not in verdict(summary)
    assert metric_columns(summary, CHARS) == CHARS.metric_columns
    assert "rare" not in verdict_line(verdict(summary))


def test_rare_characters_are_scored_where_the_alignment_puts_them():
    assert aligned_hits("A1B2", "A1B2") == [True] * 4
    assert aligned_hits("1B2", "A1B2") == [False, True, True, True]  # the first one dropped
    assert aligned_hits("X1B2", "A1B2") == [False, True, True, True]  # misread
    assert aligned_hits("A1xB2", "A1B2") == [True] * 4  # an extra character costs the line, not them
    assert aligned_hits("", "AB") == [False, False]
    s = LINES.rare_score(["皖A1", "B2", "沪C3"], ["京A1", "沪B2", "沪C3"], ["京", "沪"])
    assert s["rare_char_accuracy"] == pytest.approx(1 / 3) and s["rare_accuracy"] == pytest.approx(1 / 3)


def test_balance_spreads_a_uniform_pattern_over_the_whole_tail_and_away_from_the_thick_province():
    skewed = PlateTexts("plate-cn", Skew("皖", 0.8))
    training = [skewed.text(0, i) for i in range(1000)]
    balanced = line_texts(PlateTexts("plate-cn").charset, pattern="plate-cn", balance=training)
    firsts = Counter(balanced.draw(7, i)[0] for i in range(3000))
    assert firsts["皖"] < 30  # 1/31 of a uniform pattern would be ~97
    tail = [n for p, n in firsts.items() if p != "皖"]
    assert len(tail) == 30 and max(tail) < 2 * min(tail)  # no one rare province crowds out the others


def test_thin_classes_are_asked_for_as_cross_content_as_often_as_thick_ones():
    import torch

    from saae_augment.data.datasets import LabeledTensors
    from saae_augment.training.sampler import CharSampler

    targets = torch.tensor([0] * 50 + [1] * 50 + [2] * 50 + [3] + [4])  # two classes with one image each
    train = LabeledTensors(torch.rand(len(targets), 1, 8, 8), targets, [f"{i}.png" for i in range(len(targets))])
    sampler = CharSampler(train, 5, 1000, seed=2, style_source="self")
    batch = sampler.batch(step=1, banks=torch.rand(1, 5, 1, 8, 8), device=torch.device("cpu"))
    asked = Counter(batch.cross_targets.tolist())
    assert Counter(batch.targets.tolist())[3] < 30  # the thin classes are rarely the real image...
    # ...but asked for at least as often as any thick class (the cross class is any class but the style's own)
    assert min(asked[3], asked[4]) >= max(asked[0], asked[1], asked[2]) and min(asked.values()) > 120
    assert not (batch.cross_targets == batch.targets).any()  # always another class than the style's own


def test_a_class_with_two_images_keeps_both_for_training():
    from saae_augment.data.datasets import stratified_split

    labels = ["0"] * 50 + ["1"] * 50 + ["7", "7"] + ["8", "8", "8"] + ["9"]
    train, val = stratified_split(labels, 0.2, seed=0)
    kept = Counter(labels[i] for i in train)
    assert kept["7"] == 2 and kept["9"] == 1  # holding one out would halve what the class is learned from
    assert kept["8"] == 2 and kept["0"] == 40  # three or more: a share is held out as before
    assert sorted(train + val) == list(range(len(labels)))
