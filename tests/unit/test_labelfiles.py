from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saae_augment.data.labelfiles import read_labels_csv, read_labels_txt, write_label_files
from saae_augment.errors import DatasetError


def test_csv_keeps_labels_as_exact_strings_and_tolerates_bom_and_crlf(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_bytes('\ufeffpath,label\r\na.png,007\r\nb.png,NA\r\nc.png,"a,b"\r\n'.encode("utf-8"))
    entries, problems = read_labels_csv(f)
    assert [(e.path, e.label) for e in entries] == [("a.png", "007"), ("b.png", "NA"), ("c.png", "a,b")]
    assert problems == []


def test_csv_with_wrong_columns_names_what_it_found(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_text("filename,text\na.png,1\n")
    with pytest.raises(DatasetError, match="'filename,text'"):
        read_labels_csv(f)


def test_csv_short_row_is_a_bad_line_problem(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_text("path,label\na.png\nb.png,2\n")
    entries, problems = read_labels_csv(f)
    assert len(entries) == 1 and problems[0].kind == "bad-line" and problems[0].source == "labels.csv:2"


def test_txt_splits_on_the_first_tab_only(tmp_path):
    f = tmp_path / "labels.txt"
    f.write_text("a.png\thello world\nb.png\tx\ty\nno tab here\n\n")
    entries, problems = read_labels_txt(f)
    assert [(e.path, e.label) for e in entries] == [("a.png", "hello world"), ("b.png", "x\ty")]
    assert [p.source for p in problems] == ["labels.txt:3"]


def test_non_utf8_label_file_is_a_clear_error(tmp_path):
    f = tmp_path / "labels.txt"
    f.write_bytes("a.png\t\u4eac".encode("gb18030"))
    with pytest.raises(DatasetError, match="not UTF-8"):
        read_labels_txt(f)


def test_writer_refuses_labels_txt_cannot_hold(tmp_path):
    with pytest.raises(DatasetError, match="tab or line break"):
        write_label_files(tmp_path, [{"path": "a.png", "label": "x\ny"}])


labels = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(st.lists(labels, min_size=1, max_size=8))
def test_written_label_files_read_back_identically(tmp_path_factory, texts):
    out: Path = tmp_path_factory.mktemp("lab")
    rows = [{"path": f"images/{i:06d}.png", "label": t} for i, t in enumerate(texts)]
    write_label_files(out, rows)
    csv_entries, csv_problems = read_labels_csv(out / "labels.csv")
    txt_entries, txt_problems = read_labels_txt(out / "labels.txt")
    assert [e.label for e in csv_entries] == texts and csv_problems == []
    assert [e.label for e in txt_entries] == texts and txt_problems == []
