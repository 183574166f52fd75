"""A table in Windows-1252 (what Excel on Windows saves as "CSV") is read as such, with a warning naming the first
line that is not UTF-8, by every reader -- in memory, streamed, the early column check, the torch-free predict --
while damaged and binary files are still refused (`multiclass.data.csv_checks.TextCode`)."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.cli import main
from multiclass.data import load_table, read_table
from multiclass.data.column_names import file_column_names
from multiclass.data.csv_checks import SINGLE_BYTE, UTF8, _Scanner, scan_lines, text_code
from multiclass.data.stream import TableSource, scan_table
from multiclass.data.stream.batches import iter_encoded
from multiclass.data.summary import summarize_dataset, summary_lines
from multiclass.data.table_format import SNIFF_BYTES, sniff_format
from multiclass.exceptions import DataError, DataWarning


def _warning(path, line: int, byte: str, name: str = "Windows-1252") -> str:
    return (f"{path}: line {line} is not UTF-8 (byte 0x{byte}); the file was read as {name}, as Excel on Windows "
            "saves a CSV; save it as UTF-8 to be sure of its accented letters.")


def _excel_csv(path, rows: int = 60, ascii_rows: int = 0):
    """A CSV as Excel on Windows saves it: Windows-1252, CRLF, accented names and values, curly quotes. The first
    `ascii_rows` rows (and then the header) are ASCII, so the first accented byte can lie past the sniffed head."""
    lines = ["Species,length,colour" if ascii_rows else "Espèce,longueur,couleur"]
    for i in range(rows):
        colour = "red" if i < ascii_rows else ("été", "rouge", "“vert”")[i % 3]
        lines.append(f"{('setosa', 'virginica')[i % 2]},{i * 0.5},{colour}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_a_windows_1252_table_is_read_as_such_with_one_warning_naming_the_line(tmp_path):
    path = _excel_csv(tmp_path / "excel.csv")
    with pytest.warns(DataWarning) as caught:
        frame = read_table(path)
    assert [str(w.message) for w in caught] == [_warning(path, 1, "E8")]
    assert list(frame.columns) == ["Espèce", "longueur", "couleur"]
    assert frame["couleur"].tolist()[:3] == ["été", "rouge", "“vert”"]
    assert frame.attrs["format"]["encoding"] == SINGLE_BYTE
    assert "encoding" not in read_table(_utf8_copy(path, tmp_path)).attrs["format"]


@pytest.mark.parametrize(("lang", "said"), [("en", ", in Windows-1252"), ("es", ", en Windows-1252")])
def test_the_summary_before_training_says_the_code(tmp_path, lang, said):
    path = _excel_csv(tmp_path / "excel.csv")
    with pytest.warns(DataWarning):
        dataset = load_table(path, target="Espèce")
    assert dataset.notes["format"]["encoding"] == SINGLE_BYTE
    line = [text for text in summary_lines(summarize_dataset(dataset), lang) if "," in text and said in text]
    assert len(line) == 1 and line[0].endswith(said)


def _utf8_copy(path, tmp_path):
    copy = tmp_path / "utf8.csv"
    copy.write_bytes(path.read_bytes().decode("cp1252").encode("utf-8"))
    return copy


def test_the_first_byte_that_is_not_utf8_may_lie_far_past_the_sniffed_head(tmp_path):
    path = _excel_csv(tmp_path / "late.csv", rows=6_000, ascii_rows=5_000)
    assert path.read_bytes().index(b"\x93") > SNIFF_BYTES and sniff_format(path).encoding == UTF8
    with pytest.warns(DataWarning, match=re.escape(_warning(path, 5_002, "93"))):  # row 5,000's “vert”
        frame = read_table(path)
    assert frame["colour"].iloc[-3:].tolist() == ["été", "rouge", "“vert”"]


def test_a_byte_windows_1252_leaves_undefined_makes_it_latin_1(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,y\ncaf\xe9,a\nx\x81y,b\nz,a\n".encode("latin-1"))
    with pytest.warns(DataWarning, match=re.escape(_warning(path, 2, "E9", "Latin-1"))):
        frame = read_table(path)
    assert frame["name"].tolist() == ["café", "x\x81y", "z"]


@pytest.mark.parametrize(("payload", "message"), [
    ("a,y\ncafé,1\n".encode() + "thé,2\n".encode("cp1252"), r"line 3 is not UTF-8 \(byte 0xE9\); save the file"),
    ("a,y\n1,x\n".encode("utf-16"), r"line 1 is not UTF-8 \(byte 0xFF\)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), r"line 1 is not UTF-8 \(byte 0x89\)"),
    (b"\x1f\x8b\x08\x00" + bytes(range(256)), r"is gzip-compressed \(it starts with gzip's bytes 1F 8B\)"),
], ids=["utf-8 then latin-1: damaged", "utf-16", "a png", "gzip without .gz"])
def test_damaged_and_binary_files_are_still_refused(tmp_path, payload, message):
    path = tmp_path / "data.csv"
    path.write_bytes(payload)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}: {message}"):
        read_table(path)


def test_streamed_reading_equals_in_memory_and_warns_alike(tmp_path):
    path = _excel_csv(tmp_path / "excel.csv", rows=90)
    with pytest.warns(DataWarning, match=re.escape(_warning(path, 1, "E8"))):
        expected = load_table(path, target="Espèce")
    with pytest.warns(DataWarning, match=re.escape(_warning(path, 1, "E8"))):  # as it reads the header
        table = TableSource(path)
    found = scan_table(table, target="Espèce")
    assert found.preprocessor.state()[0] == expected.preprocessor.state()[0]
    assert found.classes == expected.classes == ("setosa", "virginica")
    X, y = (np.concatenate(parts) for parts in zip(*iter_encoded(table, found, range(len(table.pieces)))))
    assert X.tobytes() == expected.X.tobytes()
    np.testing.assert_array_equal(y, expected.y)


def test_a_streamed_file_whose_first_accent_lies_past_its_head_is_refused_naming_the_line(tmp_path):
    """A streamed file is not scanned whole before it is read: its code is its first 64 KiB's."""
    path = _excel_csv(tmp_path / "late.csv", rows=6_000, ascii_rows=5_000)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}: line 5002 is not UTF-8 \(byte 0x93\); save the "
                                        r"file as UTF-8 \(it may be Latin-1 or Windows-1252\)\.$"):
        scan_table(TableSource(path), target="Species")


def test_the_early_column_check_reads_the_names_in_their_code(tmp_path, capsys):
    path = _excel_csv(tmp_path / "excel.csv")
    assert file_column_names(path) == ["Espèce", "longueur", "couleur"]
    assert main(["train", str(path), "--target", "Espece", "--out", str(tmp_path / "m")]) == 2
    assert "(did you mean 'Espèce'?)" in capsys.readouterr().err


def test_train_and_the_torch_free_predict_read_it_and_say_so(tmp_path, capsys):
    path = _excel_csv(tmp_path / "excel.csv", rows=120)
    model, out = tmp_path / "model", tmp_path / "p.csv"
    assert main(["train", str(path), "--target", "Espèce", "--out", str(model), "--quiet"]) == 0
    assert main(["predict", str(model), str(path), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count(f"warning: {_warning(path, 1, 'E8')}") == 2  # train, then predict
    assert len(out.read_text().splitlines()) == 121
    assert main(["predict", str(model), str(path), "--out", str(tmp_path / "q.csv"), "--lang", "es"]) == 0
    assert (f"aviso: {path}: la línea 1 no es UTF-8 (byte 0xE8); el archivo se leyó como Windows-1252"
            in capsys.readouterr().err)


TEXT = st.text(st.characters(codec="cp1252", exclude_categories=("Cc", "Cs")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(ascii_part=st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=30), rest=TEXT,
       chunk=st.integers(1, 64))
def test_the_code_of_ascii_then_windows_1252_text_decodes_it_back_however_it_is_cut(ascii_part, rest, chunk):
    """Property: UTF-8 text is UTF-8; ASCII followed by Windows-1252 text is Windows-1252 and decodes back to the
    text (or UTF-8, when its bytes happen to be valid UTF-8: "Ã©" is the UTF-8 of "é"), whatever chunks the bytes
    come in."""
    text = ascii_part + "\n" + rest
    assert text_code(text.encode("utf-8"), "t").encoding == UTF8
    data = text.encode("cp1252")
    try:
        data.decode("utf-8")
        bad = None
    except UnicodeDecodeError as error:
        bad = error.start
    scanner = _Scanner("t")
    line = None if bad is None else 1 + data[:bad].count(b"\n")
    if bad is not None and not data[:bad].isascii():  # a UTF-8 letter ("Ã©") before: refused as damaged
        with pytest.raises(DataError, match=rf"^t: line {line} is not UTF-8"):
            text_code(data, "t")
        return
    code = text_code(data, "t")
    if bad is None:
        assert code.encoding == UTF8  # valid UTF-8 bytes are read as such
    else:
        assert code.encoding == SINGLE_BYTE and data.decode(code.encoding) == text
        assert (code.line, code.byte) == (line, data[bad])
    for start in range(0, len(data), chunk):
        scanner.feed(data[start : start + chunk])
    assert scanner.finish() == code


def test_scan_lines_finds_the_code_across_chunks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"x,1\n" * 300_000 + "é,2\n".encode("cp1252"))  # past the first 1 MiB chunk
    code = scan_lines(path)
    assert (code.encoding, code.line, code.byte) == (SINGLE_BYTE, 300_002, 0xE9)
