import os

import numpy as np
import pytest
from PIL import Image

from saae_augment.data.load import load_dataset
from saae_augment.errors import DatasetError
from tests.conftest import digit_image, save_png, write_idx


def test_embedded_digits():
    data = load_dataset("digits")
    assert len(data) == 1797 and data.classes == list("0123456789")
    assert data.images[0].shape == (8, 8) and data.stack().max() == 255  # 17 levels up to 255
    assert data.report.problems == [] and data.report.format == "digits"


def test_embedded_digits_resized_and_stacked():
    x = load_dataset("digits", size=(28, 28)).stack()
    assert x.shape == (1797, 28, 28) and x.dtype == np.uint8


def test_csv_folder(csv_folder):
    data = load_dataset(str(csv_folder))
    assert data.report.format == "csv"
    assert data.labels == ["0", "1", "2", "0", "1", "2"]
    assert data.sources[0] == "img/0.png"
    assert int(data.images[1][6, 6]) == 40  # digit_image(1): the pixels of the right file


def test_txt_folder_keeps_labels_with_spaces_commas_and_leading_zeros(txt_folder):
    data = load_dataset(txt_folder)
    assert data.report.format == "txt"
    assert data.labels == ["京A12345", "hello world", "a,b", "007"]


def test_class_folders_report_ignored_files(class_folders):
    data = load_dataset(class_folders)
    assert data.report.format == "folders"
    assert sorted(data.classes) == ["7", "A", "b"] and len(data) == 6
    assert set(data.report.ignored_files) == {"README.txt", "A/notes.md"}


def test_idx_folder_gz_and_raw_and_single_file(idx_folder):
    data = load_dataset(idx_folder)
    assert data.report.format == "idx"
    # t10k sorts before train
    assert data.labels == ["7", "2", "1", "5", "0", "4", "1", "9"]
    assert data.images[0].shape == (28, 28)
    one = load_dataset(f"idx:{idx_folder / 'train-images-idx3-ubyte.gz'}")
    assert one.labels == ["5", "0", "4", "1", "9"]


def test_emnist_letters_are_mapped_and_turned_upright(tmp_path):
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 0, 5] = 255  # stored transposed: row 0, col 5 → upright row 5, col 0
    write_idx(tmp_path / "emnist-letters-train-images-idx3-ubyte", img)
    write_idx(tmp_path / "emnist-letters-train-labels-idx1-ubyte", np.array([3]))
    data = load_dataset(tmp_path)
    assert data.labels == ["C"] and data.images[0][5, 0] == 255


def test_truncated_idx_is_a_clear_error(tmp_path):
    f = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28)))
    f.write_bytes(f.read_bytes()[:500])
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4))
    with pytest.raises(DatasetError, match="truncated"):
        load_dataset(tmp_path)


def test_lmdb_dtrb_layout(tmp_path):
    lmdb = pytest.importorskip("lmdb", reason="lmdb is in the dev install; this runs in CI")
    import io

    env = lmdb.open(str(tmp_path / "db"), map_size=1 << 22)
    with env.begin(write=True) as txn:
        for i, label in enumerate(["AB12", "京A1"], 1):
            buf = io.BytesIO()
            Image.fromarray(digit_image(i)).save(buf, format="PNG")
            txn.put(f"image-{i:09d}".encode(), buf.getvalue())
            txn.put(f"label-{i:09d}".encode(), label.encode())
        txn.put(b"num-samples", b"3")  # one more than stored: must be reported, not dropped
    env.close()
    data = load_dataset(tmp_path / "db")
    assert data.report.format == "lmdb" and data.labels == ["AB12", "京A1"]
    assert [p.source for p in data.report.problems] == ["image-000000003"]


def test_forced_format_overrides_detection(csv_folder):
    (csv_folder / "labels.txt").write_text("img/0.png\tZ\n")
    assert load_dataset(csv_folder).labels[0] == "0"
    assert load_dataset(f"txt:{csv_folder}").labels == ["Z"]


def test_size_and_rgb_mode(csv_folder):
    data = load_dataset(csv_folder, size=(16, 24), mode="RGB")
    assert data.stack().shape == (6, 16, 24, 3)


def test_acceptance_bad_folder_names_every_problem(bad_csv_folder):
    data = load_dataset(bad_csv_folder, charset="0123456789")
    assert data.labels == ["0", "1"]
    kinds = {p.source: p.kind for p in data.report.problems}
    assert kinds == {
        "trunc.png": "unreadable-image",
        "labels.csv:5": "missing-file",
        "labels.csv:6": "outside-dataset",
        "letter.png": "outside-charset",
    }
    assert data.report.outside_charset == {"x": 1}
    assert data.report.listed == 6


def test_strict_stops_at_the_first_problem(bad_csv_folder):
    with pytest.raises(DatasetError, match="strict"):
        load_dataset(bad_csv_folder, strict=True)


def test_absolute_path_and_symlink_out_of_the_folder_are_refused(tmp_path):
    root = tmp_path / "set"
    save_png(root / "ok.png", digit_image(1))
    secret = save_png(tmp_path / "secret.png", digit_image(2))
    os.symlink(secret, root / "link.png")
    (root / "labels.txt").write_text(f"ok.png\t1\n{secret}\t2\nlink.png\t3\n")
    data = load_dataset(root)
    assert data.labels == ["1"]
    assert [p.kind for p in data.report.problems] == ["outside-dataset", "outside-dataset"]


def test_empty_and_blank_labels_are_problems(tmp_path):
    root = tmp_path / "set"
    for i in range(3):
        save_png(root / f"{i}.png", digit_image(i))
    (root / "labels.csv").write_text("path,label\n0.png,\n1.png,  \n2.png,5\n")
    data = load_dataset(root)
    assert data.labels == ["5"]
    assert [p.kind for p in data.report.problems] == ["empty-label", "empty-label"]


def test_conversions_are_counted(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    Image.new("CMYK", (5, 5)).save(root / "a.jpg")
    Image.fromarray(np.full((5, 5), 4000, np.uint16)).save(root / "b.png")
    Image.new("RGBA", (5, 5)).save(root / "c.png")
    Image.new("L", (5, 5)).convert("P").save(root / "d.png")
    (root / "labels.txt").write_text("a.jpg\t1\nb.png\t2\nc.png\t3\nd.png\t4\n")
    data = load_dataset(root)
    assert len(data) == 4 and data.report.problems == []
    assert sum(data.report.converted.values()) == 4
    assert data.report.modes["CMYK"] == 1


def test_decompression_bomb_is_skipped_not_decoded(tmp_path):
    from tests.conftest import png_with_size_header

    root = tmp_path / "set"
    root.mkdir()
    png_with_size_header(root / "bomb.png", 20000, 20000)
    save_png(root / "ok.png", digit_image(1))
    (root / "labels.txt").write_text("bomb.png\t1\nok.png\t2\n")
    data = load_dataset(root)
    assert data.labels == ["2"] and data.report.problems[0].kind == "too-large"


def test_empty_and_all_bad_data_sets_are_errors(tmp_path):
    root = tmp_path / "e"
    root.mkdir()
    (root / "labels.csv").write_text("path,label\n")
    with pytest.raises(DatasetError, match="empty"):
        load_dataset(root)
    (root / "labels.csv").write_text("path,label\nmissing.png,1\n")
    with pytest.raises(DatasetError, match="no usable samples.*missing-file"):
        load_dataset(root)


def test_images_without_labels_and_nonexistent_paths(tmp_path):
    save_png(tmp_path / "x" / "a.png", digit_image(0))
    with pytest.raises(DatasetError, match="no labels"):
        load_dataset(tmp_path / "x")
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nope")
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(f"csv:{tmp_path / 'nope'}")
