"""DuckDB and the exports, each read back with its own library and compared with load()."""
import datetime
import sqlite3

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import k2data
from k2data import schema as ts
from k2data.cli import main
from k2data.export import export, write_rows

TABLES = k2data.tables()


def plain_rows(table: pa.Table) -> list[dict]:
    return table.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                                 for f in table.schema])).to_pylist()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    return {fmt: export(fmt, folder / f"k2data.{fmt}") for fmt in ("duckdb", "sqlite", "xlsx", "csv", "parquet")}


def check_duckdb(con):
    for name in TABLES:
        expected = plain_rows(k2data.load(name, backend="pyarrow"))
        assert plain_rows(con.table(name).to_arrow_table()) == expected, name
    columns = {(t, c): (kind, comment) for t, c, kind, comment in
               con.sql("SELECT table_name, column_name, data_type, comment FROM duckdb_columns()").fetchall()}
    for name in TABLES:
        for field in ts.fields(k2data.schema_of(name)):
            kind, comment = columns[name, field["name"]]
            assert comment == field["description"]
            if ts.categories(field) is not None:
                assert kind.startswith("ENUM(") and all(f"'{c}'" in kind for c in ts.categories(field))
    keys = set(con.sql("SELECT table_name, constraint_type, constraint_column_names[1], referenced_table "
                       "FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')").fetchall())
    for name in TABLES:
        schema = k2data.schema_of(name)
        assert (name, "PRIMARY KEY", ts.primary_key(schema)[0], None) in keys
        for column, parent, _ in ts.foreign_keys(schema):
            assert (name, "FOREIGN KEY", column, parent) in keys
    view = con.sql("SELECT * FROM evidence ORDER BY outcome_id").to_arrow_table()
    expected = sorted(plain_rows(k2data.evidence(backend="pyarrow")), key=lambda r: r["outcome_id"])
    assert plain_rows(view) == expected
    assert {c for (t, c), (_, comment) in columns.items() if t == "evidence" and comment} == \
        set(ts.field_names(k2data.schema_of("evidence")))


def test_connect_holds_types_keys_comments_and_the_evidence_view():
    check_duckdb(k2data.connect())


def test_the_duckdb_export_is_the_same_database(exported):
    con = duckdb.connect(str(exported["duckdb"]), read_only=True)
    check_duckdb(con)
    con.close()


def test_the_sqlite_export_reads_back_typed_keyed_and_documented(exported):
    con = sqlite3.connect(exported["sqlite"])
    for name in TABLES:
        schema = k2data.schema_of(name)
        info = {row[1]: row for row in con.execute(f'PRAGMA table_info("{name}")')}
        for field in ts.fields(schema):
            assert info[field["name"]][2] == ts.sql_type(field, "sqlite")
            assert bool(info[field["name"]][3]) == bool(ts.constraints(field).get("required"))
        assert {row[3] for row in con.execute(f'PRAGMA foreign_key_list("{name}")')} == \
            {column for column, _, _ in ts.foreign_keys(schema)}
        expected = [[int(v) if isinstance(v, bool) else v.isoformat() if isinstance(v, datetime.date) else v
                     for v in row.values()] for row in plain_rows(k2data.load(name, backend="pyarrow"))]
        assert [list(row) for row in con.execute(f'SELECT * FROM "{name}"')] == expected, name
    counted = con.execute('SELECT "table", COUNT(*) FROM data_dictionary GROUP BY 1').fetchall()
    assert dict(counted) == {name: len(ts.fields(k2data.schema_of(name))) for name in [*TABLES, "evidence"]}
    assert con.execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == len(k2data.evidence())
    with pytest.raises(sqlite3.IntegrityError):  # the enums are checked
        con.execute("INSERT INTO outcome_terms (term, label, category, definition, higher_is) "
                    "VALUES ('x', 'x', 'not_a_category', 'x', 'better')")


def test_the_xlsx_export_reads_back_with_every_text_as_text(exported):
    book = openpyxl.load_workbook(exported["xlsx"])
    assert book.sheetnames == ["README", *TABLES, "evidence", "data_dictionary"]
    readme = {row[0]: row[1] for row in book["README"].iter_rows(values_only=True)}
    assert readme["version"] == k2data.__version__ and k2data.__version__ in readme["cite as"]
    for name in [*TABLES, "evidence"]:
        table = k2data.evidence(backend="pyarrow") if name == "evidence" else k2data.load(name, backend="pyarrow")
        rows = list(book[name].iter_rows(values_only=True))
        assert list(rows[0]) == table.column_names
        got = [[v.date() if isinstance(v, datetime.datetime) else v for v in row] for row in rows[1:]]
        assert got == [list(row.values()) for row in plain_rows(table)], name
        assert all(cell.data_type == "s" for row in book[name].iter_rows() for cell in row if isinstance(cell.value, str))


def test_a_formula_like_text_stays_text(tmp_path):
    book = openpyxl.Workbook()
    write_rows(book.active, [["=HYPERLINK(\"http://x\")", "+1", "plain"]])
    book.save(tmp_path / "t.xlsx")
    cells = next(openpyxl.load_workbook(tmp_path / "t.xlsx").active.iter_rows())
    assert [(c.value, c.data_type) for c in cells] == [("=HYPERLINK(\"http://x\")", "s"), ("+1", "s"), ("plain", "s")]


def test_the_evidence_exports_read_back_equal(exported):
    expected = plain_rows(k2data.evidence(backend="pyarrow"))
    assert plain_rows(pq.read_table(exported["parquet"])) == expected
    schema = k2data.evidence(backend="pyarrow").schema
    read_back = pcsv.read_csv(exported["csv"], convert_options=pcsv.ConvertOptions(
        column_types=plain_rows_schema(schema), strings_can_be_null=True))
    assert plain_rows(read_back) == expected


def plain_rows_schema(schema: pa.Schema) -> dict:
    return {f.name: f.type.value_type if pa.types.is_dictionary(f.type) else f.type for f in schema}


def test_export_refuses_to_overwrite_and_names_the_formats(exported, capsys):
    assert main(["export", "csv", str(exported["csv"])]) == 2
    assert "exists already" in capsys.readouterr().err
    with pytest.raises(ValueError, match="choose one of: duckdb, sqlite, xlsx, csv, parquet"):
        export("json", exported["csv"].with_suffix(".json"))


@pytest.mark.parametrize("fmt", ["duckdb", "sqlite", "xlsx", "csv", "parquet"])
def test_export_into_a_missing_folder_says_so(tmp_path, capsys, fmt):
    out = tmp_path / "nowhere" / f"k2.{fmt}"
    assert main(["export", fmt, str(out)]) == 2
    err = capsys.readouterr().err
    assert f"folder {out.parent} does not exist" in err and "unexpected" not in err and not out.parent.exists()
