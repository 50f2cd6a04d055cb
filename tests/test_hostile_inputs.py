"""Broken descriptors, schemas and files, as a hostile user would make them: each gets a precise
answer (table, row or '-', column, rule), never a traceback or the CLI's catch-all."""
import csv
import io
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2data.build import build
from k2data.cli import main
from k2data.package import sha256
from k2data.read import MAX_CELL_BYTES, ReadError
from k2data.validate import validate
from k2data.validate.tables import text_hazards

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def package(tmp_path) -> Path:
    dest = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "valid", dest)
    return dest


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def field(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def run(package: Path, capsys, *args) -> tuple[int, str, str]:
    code = main(["validate", str(package), *args])
    out, err = capsys.readouterr()
    return code, out, err


SCHEMA_CASES = {  # name: (file, change, expected (table, column), words in the message)
    "fields as a string": ("reports", lambda s: s.update(fields="report_id"), ("reports", None), "fields must be"),
    "foreign key to a missing column": (
        "outcomes", lambda s: s["foreignKeys"][0]["reference"].update(fields="nope"), ("outcomes", "study_id"),
        "studies.nope"),
    "malformed foreign key": ("mechanisms", lambda s: s["foreignKeys"].append({"fields": 3}), ("mechanisms", None),
                              "a foreign key needs fields"),
    "foreign key to a missing table": (
        "reports", lambda s: s["foreignKeys"][0]["reference"].update(resource="nowhere"), ("reports", "study_id"),
        "'nowhere'"),
    "primaryKey naming a missing column": ("models", lambda s: s.update(primaryKey=["model_key"]),
                                           ("models", "model_key"), "primaryKey"),
    "pattern that does not compile": ("studies", lambda s: field(s, "doi")["constraints"].update(pattern="10\\.(["),
                                      ("studies", "doi"), "does not compile"),
    "integer in a string enum": ("studies", lambda s: field(s, "design")["constraints"]["enum"].append(3),
                                 ("studies", "design"), "enum value 3 is not a string"),
    "unknown field type": ("reports", lambda s: field(s, "published").update(type="datetime"),
                           ("reports", "published"), "type 'datetime'"),
    "duplicate field name": ("reports", lambda s: s["fields"].append(dict(field(s, "claim"))), ("reports", "claim"),
                             "more than once"),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_schema_mistakes_are_reported_before_reading(package, capsys, case):
    name, change, (table, column), words = SCHEMA_CASES[case]
    edit_json(package / "schemas" / f"{name}.json", change)
    code, out, err = run(package, capsys)
    assert code == 1 and not err
    line = next(line for line in out.splitlines() if line.endswith("[descriptor]"))
    assert line.startswith(f"{table}:-:{column or ''}: ") and words in line, out


DESCRIPTOR_CASES = {
    "duplicate resource names": (lambda d: d["resources"].append(dict(resource(d, "reports"))), "reports",
                                 "more than one resource"),
    "non-string version": (lambda d: d.update(version=1.0), "datapackage", "version must be a string"),
    "no resources": (lambda d: d.update(resources=[]), "studies", "lacks this table"),
    "a missing table": (lambda d: d["resources"].remove(resource(d, "mechanisms")), "mechanisms", "lacks this table"),
}


@pytest.mark.parametrize("case", sorted(DESCRIPTOR_CASES))
def test_descriptor_mistakes_are_reported(package, capsys, case):
    change, table, words = DESCRIPTOR_CASES[case]
    edit_json(package / "datapackage.json", change)
    code, out, err = run(package, capsys)
    assert code == 1 and not err
    assert any(line.startswith(f"{table}:-:") and words in line and line.endswith("[descriptor]")
               for line in out.splitlines()), out


def write_cell(package: Path, table: str, column: str, value: str) -> int:
    """Put value into the first data row's column (written raw, quoted); returns its row number."""
    path = package / "tables" / f"{table}.csv"
    header, first, *rest = path.read_text(encoding="utf-8").split("\n")
    cells = next(csv.reader([first]))
    cells[header.split(",").index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    path.write_text("\n".join([header, out.getvalue().removesuffix("\n"), *rest]), encoding="utf-8")
    return 2


@pytest.mark.parametrize("value,rule", [
    ("nul\x00inside", "control_character"), ("escape\x1b[31m", "control_character"),
    ("right\u202eto left", "bidi_control"), ("isolate\u2066x\u2069", "bidi_control"),
    ("\uff1dSUM(A1)", "formula"), ("\uff20cmd", "formula"),
])
def test_text_hazards_are_named(package, value, rule):
    row = write_cell(package, "studies", "notes", value)
    found = {(p.table, p.row, p.column, p.rule) for p in validate(package).problems}
    assert ("studies", row, "notes", rule) in found, found


PIECES = ["a", "b1", " ", "\t", "\n", "\r", "=", "-", "@", "\uff1d", "\uff0b", "\x00", "\x1b", "\x7f", "\x85",
          "\u202e", "\u2066", "\u200b", "\ufeff", "\u00e9", "\u03bcg"]


def hazards_of(text: str) -> set[str]:
    """The text-hazard rules a value breaks, worked out character by character."""
    found = set()
    if text and (text[0] in " \t\n\r\f\v" or text[-1] in " \t\n\r\f\v"):
        found.add("whitespace")
    if text and text[0] in "=+-@\uff1d\uff0b\uff0d\uff20":
        found.add("formula")
    for rule, chars in (("control_character", [*map(chr, range(0x20)), *map(chr, range(0x7f, 0xa0))]),
                        ("bidi_control", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
                        ("zero_width", "\u200b\u200c\u200d\u2060\ufeff")):
        if any(c in chars and c not in "\t\n\r" for c in text):
            found.add(rule)
    return found


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from(PIECES), max_size=4).map("".join)), max_size=10),
       st.integers(0, 3))
def test_the_byte_gates_never_hide_a_hazard(texts, skip):
    """The raw-byte gates in front of the text-hazard rules may let a clean column through to the exact
    checks, but never wave through one with a hazard (also on a slice, whose buffers start elsewhere)."""
    values = pa.array(texts, pa.string()).slice(min(skip, len(texts)))
    found = {rule for rule, mask, _ in text_hazards(values, identifier=True) if pc.any(mask).as_py()}
    assert found == set().union(*(hazards_of(t) for t in values.to_pylist() if t is not None))


def test_tabs_and_line_breaks_inside_quotes_are_allowed(package):
    write_cell(package, "studies", "notes", "two\tcolumns and\ntwo lines")
    assert {p.rule for p in validate(package).problems} <= {"hash", "bytes", "parquet"}


def test_zero_width_characters_count_in_identifiers_only(package):
    write_cell(package, "studies", "notes", "zero\u200bwidth in prose")
    assert not [p for p in validate(package).problems if p.rule == "zero_width"]


@pytest.mark.parametrize("size", [MAX_CELL_BYTES + 10, 5 * MAX_CELL_BYTES])
def test_a_huge_cell_is_named_with_its_table_and_row(package, capsys, size):
    row = write_cell(package, "studies", "notes", "x" * size)
    code, out, err = run(package, capsys)
    assert code == 1 and "straddl" not in out
    assert f"studies:{row}:notes: cell holds {size:,} bytes" in out
    with pytest.raises(ReadError, match=f"table 'studies', row {row}, column notes: cell holds"):
        build(package)


def test_output_is_capped_but_counted(package, capsys):
    path = package / "tables" / "reports.csv"
    header, body = path.read_text().split("\n", 1)
    path.write_text(header + "," + ",".join(f"extra{i}" for i in range(200_000)) + "\n" + body)
    code, out, _ = run(package, capsys)
    lines = out.splitlines()
    assert code == 1 and len(lines) == 202
    assert lines[-2].startswith("and ") and lines[-2].endswith(" more")
    total = int(lines[-1].split()[1])
    assert total > 200_000 and int(lines[-2].split()[1]) == total - 200
    code, out, _ = run(package, capsys, "--format", "json", "--max-problems", "5")
    data = json.loads(out)
    assert data["count"] == total and data["shown"] == len(data["problems"]) == 5


def test_a_semicolon_separated_file_is_named_as_such(package, capsys):
    path = package / "tables" / "reports.csv"
    path.write_text(path.read_text().replace(",", ";"))
    code, out, _ = run(package, capsys)
    assert code == 1 and "reports:1:: the header is separated by semicolons, not commas" in out
    assert main(["build", str(package)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "separated by semicolons" in err and "unexpected" not in err


def test_build_names_encoding_and_header_problems(package, capsys):
    path = package / "tables" / "models.csv"
    path.write_bytes(path.read_bytes().replace(b"human", b"hum\xffan", 1))
    with pytest.raises(ReadError, match="byte [0-9]+ is not UTF-8"):
        build(package)
    path.write_bytes(path.read_bytes().replace(b"\xff", b"").replace(b"model_id", b"model", 1))
    with pytest.raises(ReadError, match="column model, .*is not in the schema|row 1, column model"):
        build(package)


@pytest.mark.parametrize("command", ["build", "diff"])
def test_a_value_outside_its_categories_is_named_by_build_and_diff(package, tmp_path, capsys, command):
    old = tmp_path / "old"
    shutil.copytree(package, old)
    row = write_cell(package, "outcomes", "direction", "upward")
    assert main([command, *([str(old)] if command == "diff" else []), str(package)]) == 2
    err = capsys.readouterr().err
    assert f"table 'outcomes', row {row}, column direction: 'upward' is not one of: increase," in err
    assert "unexpected" not in err


def test_an_impossible_date_and_a_csv_given_as_the_package_are_explained(package, capsys):
    row = write_cell(package, "reports", "published", "2021-02-30")
    code, out, _ = run(package, capsys)
    assert code == 1 and f"reports:{row}:published: '2021-02-30' is not a real calendar date" in out
    code, out, err = run(package / "tables" / "reports.csv", capsys)
    assert code == 2 and "give the package folder or its datapackage.json" in err and "JSON" not in err


def test_the_descriptor_records_what_build_wrote(package):
    """Nothing is written when one table cannot be built."""
    before = (package / "datapackage.json").read_text()
    parquet = (package / "tables" / "studies.parquet").read_bytes()
    write_cell(package, "reports", "published", "yesterday")
    with pytest.raises(ReadError):
        build(package)
    assert (package / "datapackage.json").read_text() == before
    assert sha256((package / "tables" / "studies.parquet").read_bytes()) == sha256(parquet)
