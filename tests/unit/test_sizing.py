"""The size a run works at when its recipe names none: the data's own, rounded, and said aloud."""

from saae_augment.data.sizing import dominant_size, size_note, working_size


def test_the_most_common_size_wins_and_ties_go_to_the_larger():
    assert dominant_size({(28, 28): 100, (30, 20): 3}) == (28, 28)
    assert dominant_size({(16, 16): 5, (32, 32): 5}) == (32, 32)
    assert dominant_size({(128, 32): 7}) == (32, 128)  # (W, H) in, (H, W) out


def test_sides_round_up_to_a_multiple_of_four_and_at_least_sixteen():
    assert working_size({(8, 8): 1797}) == (16, 16)  # the embedded digits keep 16x16
    assert working_size({(28, 28): 10}) == (28, 28)  # MNIST-like crops are no longer shrunk to 16x16
    assert working_size({(32, 32): 10}) == (32, 32)
    assert working_size({(30, 21): 10}) == (24, 32)
    assert working_size({(224, 64): 3}) == (64, 224)


def test_a_resize_is_said_in_one_line_and_nothing_when_none_happens():
    assert size_note("test set", {(28, 28): 9}, (28, 28), "x") is None
    note = size_note("training data", {(8, 8): 1797}, (16, 16), "its own size, rounded for the networks")
    assert note == "training data: all images (8×8) brought to 16×16 (its own size, rounded for the networks)"
    mixed = size_note("test set", {(20, 20): 59, (18, 20): 1}, (20, 20), "why")
    assert mixed is not None and mixed.startswith("test set: 1 of 60 images (mostly 20×20, 2 sizes)")
    assert "\n" not in mixed
