"""The validator reports each broken rule at its table, row and column; the CLI exit codes."""
import csv
import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2data.cli import main
from k2data.validate import tables, validate, words
from k2data.validate.rules import lookup


def edit_cell(package, table, row_id, column, value):
    """Set one cell of a copied package's CSV (row_id = value of the first column)."""
    path = package / "tables" / f"{table}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    key = next(iter(rows[0]))
    number = next(i for i, row in enumerate(rows) if row[key] == row_id)
    rows[number][column] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return number + 2


def problems(package):
    return {(p.table, p.row, p.column, p.rule) for p in validate(package).problems}


@pytest.mark.parametrize("table,row_id,column,value,rule", [
    ("studies", "zhang2016a", "year", "twenty", "type"),
    ("studies", "zhang2016a", "design", "trial", "enum"),
    ("studies", "zhang2016a", "doi", "doi:10.7150/x", "pattern"),
    ("studies", "zhang2016a", "title", "", "required"),
    ("studies", "zhang2016a", "retracted", "yes", "type"),
    ("outcomes", "huang2015_o4", "p_value", "1.5", "maximum"),
    ("outcomes", "huang2015_o4", "model_id", "huang2015_nowhere", "foreign_key"),
    ("interventions", "tang2021_hgfi_mk7", "study_id", "tang2099", "foreign_key"),
    ("reports", "tang2021_r1", "published", "11/03/2021", "type"),
])
def test_each_broken_cell_is_reported_where_it_is(package_copy, table, row_id, column, value, rule):
    row = edit_cell(package_copy, table, row_id, column, value)
    found = problems(package_copy)
    assert (table, row, column, rule) in found, found


def identity_problems(package):
    from k2data.build import build

    build(package)  # the edit is deliberate: refresh hash, bytes and Parquet, then look at the rules alone
    return [p for p in validate(package).problems if p.rule == "study_identifier"]


@pytest.mark.parametrize("volume, pages, found", [("31", "114", False), ("31", "", True), ("", "114", True)])
def test_a_complete_citation_identifies_a_study_without_doi_or_pmid(package_copy, volume, pages, found):
    for column, value in (("doi", ""), ("pmid", ""), ("volume", volume), ("pages", pages)):
        row = edit_cell(package_copy, "studies", "zhang2016a", column, value)
    reported = identity_problems(package_copy)
    assert bool(reported) == found
    if found:
        assert (reported[0].row, reported[0].column) == (row, "doi") and "journal, volume and" in reported[0].message


def test_the_journal_may_stay_blank_when_a_doi_identifies_the_study(package_copy):
    edit_cell(package_copy, "studies", "zhang2016a", "journal", "")
    assert not identity_problems(package_copy)
    assert not [p for p in validate(package_copy).problems if p.column == "journal"]


def test_duplicate_primary_key_names_the_first_use(package_copy):
    row = edit_cell(package_copy, "models", "zhang2016a_rat", "model_id", "zhang2016a_bmsc")
    report = validate(package_copy)
    dup = [p for p in report.problems if p.rule == "primary_key"]
    assert len(dup) == 1 and dup[0].table == "models" and "already used at row" in dup[0].message
    assert dup[0].row == row


KEYS = st.lists(st.one_of(st.none(), st.text(alphabet="ab_\u00e9", max_size=3),
                          st.text(alphabet="ab", min_size=60, max_size=70)), max_size=12)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(KEYS, st.integers(0, 2), st.integers(1, 3))
def test_key_uniqueness_is_exact(keys, skip, chunks):
    """all_distinct answers as a set would, over chunks and a slice, for short keys, keys of exactly 8 and
    16 bytes, and keys too long to fingerprint."""
    keys = keys[skip:] + ["abcdefgh", "abcdefgh12345678"]
    column = pa.chunked_array([pa.array(keys[i::chunks], pa.string()) for i in range(chunks)])
    present = [k for k in keys if k is not None]
    assert tables.all_distinct(column) == (len(set(present)) == len(present))


TEXTS = st.one_of(st.none(), st.text(alphabet="ab_\u00e9", max_size=20))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.tuples(TEXTS, TEXTS), max_size=12), st.integers(0, 2))
def test_starts_with_each_answers_as_str_startswith(pairs, skip):
    """The word-by-word prefix comparison agrees with str.startswith row by row (False where either side
    is blank), for prefixes shorter, longer and of the same length as their value, and on a slice."""
    values = pa.array([v for v, _ in pairs], pa.string()).slice(skip)
    prefixes = pa.array([p for _, p in pairs], pa.string()).dictionary_encode().slice(skip)
    expected = [v is not None and p is not None and v.startswith(p) for v, p in pairs[skip:]]
    assert words.starts_with_each(values, prefixes).tolist() == expected


def test_equal_fingerprints_fall_back_to_the_exact_answer(monkeypatch):
    """A fingerprint collision between distinct keys must not be reported as a repeated key."""
    monkeypatch.setattr(tables, "fingerprints", lambda values: np.zeros(len(values), np.uint64))
    assert tables.all_distinct(pa.chunked_array([pa.array(["a_1", "a_2", "a_3"])]))
    assert not tables.all_distinct(pa.chunked_array([pa.array(["a_1", "a_2", "a_1"])]))


def test_edited_csv_fails_hash_bytes_and_parquet_checks(package_copy):
    edit_cell(package_copy, "studies", "zhang2016a", "notes", "changed")
    rules = {p.rule for p in validate(package_copy).problems if p.table == "studies"}
    assert {"hash", "bytes", "parquet"} <= rules


def test_header_problems_are_reported(package_copy):
    path = package_copy / "tables" / "reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0].replace("outlet", "outlet_name"), encoding="utf-8")
    found = problems(package_copy)
    assert ("reports", 1, "outlet_name", "header") in found
    assert ("reports", 1, "outlet", "header") in found


def test_every_problem_is_reported_at_once(package_copy):
    edit_cell(package_copy, "studies", "zhang2016a", "year", "x")
    edit_cell(package_copy, "outcomes", "tang2021_o1", "direction", "up")
    tables = {p.table for p in validate(package_copy).problems if p.rule in ("type", "enum")}
    assert tables == {"studies", "outcomes"}


def test_cli_exit_codes_and_message_format(package_copy, capsys, tmp_path):
    assert main(["validate", str(package_copy)]) == 0
    row = edit_cell(package_copy, "outcomes", "tang2021_o1", "direction", "up")
    capsys.readouterr()
    assert main(["validate", str(package_copy)]) == 1
    out = capsys.readouterr().out.splitlines()
    enum_lines = [line for line in out if line.startswith(f"outcomes:{row}:direction: 'up' is not one of:")]
    assert len(enum_lines) == 1 and enum_lines[0].endswith("[enum]")
    assert out[-1].startswith("invalid:")
    assert main(["validate", str(package_copy), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert {"table": "outcomes", "row": row, "column": "direction", "rule": "enum"}.items() <= next(
        p for p in data["problems"] if p["rule"] == "enum").items()
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["validate", str(tmp_path / "broken.json")]) == 2


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage \x89PNG", b"[1, 2]", b'{"resources": 3}',
                                     b'{"resources": [{"name": "x"}]}'])
def test_unusable_descriptors_exit_2_without_traceback(tmp_path, capsys, content):
    (tmp_path / "datapackage.json").write_bytes(content)
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("k2data validate: ") and "Traceback" not in err


def test_garbage_tables_are_reported_not_raised(package_copy, capsys):
    (package_copy / "tables" / "models.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 binary")
    (package_copy / "tables" / "reports.csv").write_bytes(b"")
    assert main(["validate", str(package_copy)]) == 1
    out = capsys.readouterr().out
    assert "models:" in out and "[encoding]" in out or "[header]" in out
    assert "reports:1:: file is empty" in out


def test_a_link_leaving_the_package_is_refused(package_copy, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("x\n")
    (package_copy / "tables" / "reports.csv").unlink()
    (package_copy / "tables" / "reports.csv").symlink_to(outside)
    found = validate(package_copy).problems
    assert any(p.table == "reports" and p.rule == "path" and "outside" in p.message for p in found)


def test_resource_paths_may_not_leave_the_package(package_copy):
    descriptor = json.loads((package_copy / "datapackage.json").read_text())
    descriptor["resources"][0]["path"] = "../outside.csv"
    (package_copy / "datapackage.json").write_text(json.dumps(descriptor))
    found = validate(package_copy).problems
    assert any(p.table == "studies" and p.rule == "path" and "leaves the package" in p.message for p in found)


def test_a_lookup_narrows_the_parent_to_the_keys_looked_up():
    """rules.lookup answers per row as a join would, through tables.narrowed: with fewer wanted keys
    than parent rows, with none, and with a value the parent lacks (null)."""
    keys = pa.chunked_array([["s1", "s2"], ["s3", "s4"]])
    design = pa.chunked_array([["rct", "cohort"], ["rct", "review"]])
    for values, expected in ((["s4", "s2", "s4", "nope", None], ["review", "cohort", "review", None, None]),
                             ([], [])):
        plain = pa.chunked_array([pa.array(values, pa.string())])
        encoded = pa.chunked_array([plain.combine_chunks().dictionary_encode()])
        for column in (plain, encoded):
            found = lookup(column, keys, design)
            assert (found.cast(pa.string()) if pa.types.is_dictionary(found.type) else found).to_pylist() == expected
