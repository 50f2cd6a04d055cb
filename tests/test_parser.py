"""One parser: validate, build and load accept and reject exactly the same cells, and reject every
cell that frictionless (the reference where it is stricter) rejects."""
import csv
import io
import json
import shutil
from pathlib import Path

import frictionless
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2data.build import build
from k2data.loader import read_table
from k2data.package import DataPackage, sha256
from k2data.read import ReadError, parse_column, parse_values
from k2data.validate import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# (type, cell, accepted); the column each type is written to is in WHERE
CELLS = [
    ("integer", "12", True), ("integer", "+120", True), ("integer", "-3", True), ("integer", "007", True),
    ("integer", "9223372036854775807", True), ("integer", "0x10", False), ("integer", " 7", False),
    ("integer", "7 ", False), ("integer", "1.0", False), ("integer", "1e3", False),
    ("integer", "99999999999999999999", False), ("integer", "١٢", False),
    ("number", "1.5", True), ("number", "+1.5", True), ("number", ".5", True), ("number", "5.", True),
    ("number", "1e1", True), ("number", "-1E-3", True), ("number", "NaN", False), ("number", "nan", False),
    ("number", "inf", False), ("number", "-inf", False), ("number", "Infinity", False), ("number", "0x10", False),
    ("number", "1,5", False), ("number", "1_000", False), ("number", " 2.5", False), ("number", "1e999", False),
    ("boolean", "true", True), ("boolean", "false", True), ("boolean", "True", False), ("boolean", "TRUE", False),
    ("boolean", "1", False), ("boolean", "yes", False),
    ("date", "2020-02-29", True), ("date", "2021-02-29", False), ("date", "2020-2-9", False),
    ("date", "2020-02-29T00:00", False), ("date", "20200229", False), ("date", " 2020-02-29", False),
    ("date", "2020-13-01", False), ("date", "2020-04-31", False),
]
WHERE = {"integer": ("studies", "fixture2020", "year"), "number": ("outcomes", "fixture2020_o2", "i2"),
         "boolean": ("studies", "fixture2021", "retracted"), "date": ("reports", "fixture2020_r1", "published")}


def package_with(cell: str, kind: str, dest: Path) -> tuple[Path, str, int, str]:
    """The valid fixture with one cell replaced; hash and bytes refreshed, Parquet removed (the CSV is
    what load then reads)."""
    shutil.copytree(FIXTURES / "valid", dest)
    table, key, column = WHERE[kind]
    path = dest / "tables" / f"{table}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    index = next(i for i, r in enumerate(rows) if next(iter(r.values())) == key)
    rows[index][column] = cell
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    path.write_bytes(data)
    (dest / "tables" / f"{table}.parquet").unlink()
    descriptor = json.loads((dest / "datapackage.json").read_text())
    resource = next(r for r in descriptor["resources"] if r["name"] == table)
    resource.update(hash=sha256(data), bytes=len(data))
    resource.pop("k2data:parquet_hash")
    (dest / "datapackage.json").write_text(json.dumps(descriptor))
    return dest, table, index + 2, column


@pytest.mark.parametrize("kind,cell,accepted", CELLS)
def test_validate_build_and_load_agree_on_each_cell(tmp_path, kind, cell, accepted):
    package, table, row, column = package_with(cell, kind, tmp_path / "pkg")
    type_problems = {(p.table, p.row, p.column) for p in validate(package).problems if p.rule == "type"}
    assert ((table, row, column) in type_problems) == (not accepted), type_problems
    assert type_problems <= {(table, row, column)}
    try:
        read_table(DataPackage(package), table)
        loaded = True
    except ReadError as exc:
        loaded = False
        assert f"row {row}, column {column}" in str(exc)
    try:
        build(package)
        built = True
    except ReadError:
        built = False
    assert loaded == built == accepted


@pytest.mark.parametrize("kind", sorted(WHERE))
def test_every_cell_frictionless_rejects_is_rejected(tmp_path, kind):
    cells = [cell for k, cell, _ in CELLS if k == kind]
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([["x"], *([c] for c in cells)])
    field = {"name": "x", "type": kind} | ({"trueValues": ["true"], "falseValues": ["false"]} if kind == "boolean" else {})
    (tmp_path / "r.json").write_text(json.dumps({"name": "t", "path": "t.csv", "schema": {"fields": [field]}}))
    report = frictionless.validate(tmp_path / "r.json")
    rejected = {cells[e.row_number - 2] for task in report.tasks for e in task.errors if getattr(e, "row_number", None)}
    ours = {cell for k, cell, accepted in CELLS if k == kind and not accepted}
    assert rejected <= ours, rejected - ours


NUMERIC_TEXT = st.one_of(
    st.from_regex(r"[ +\-]?[0-9xXeE.,_ ]{0,8}", fullmatch=True),
    st.sampled_from(["nan", "NaN", "inf", "-Infinity", "1e999", "0x1p3", "+.5", "9" * 25, "2020-02-29", "2021-02-29",
                     "true", "True", "", "1e5", "0X7E4"]),
    st.text(max_size=6))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["integer", "number", "boolean", "date"]), cells=st.lists(NUMERIC_TEXT, min_size=1, max_size=6))
def test_casting_a_whole_column_agrees_with_the_grammar_cell_by_cell(kind, cells):
    """The fast path (one cast for the column) never accepts or reads a cell otherwise than the grammar."""
    field = {"name": "x", "type": kind}
    typed, wrong = parse_column(pa.array(cells, pa.string()), field)
    for index, cell in enumerate(cells):
        alone, ok = parse_values(pa.array([cell], pa.string()), field)
        assert bool(wrong is not None and wrong[index].as_py()) == (not ok[0].as_py()), cell
        assert typed[index].as_py() == alone[0].as_py(), cell
