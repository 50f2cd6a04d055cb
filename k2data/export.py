"""`k2data export FORMAT OUT`: the dataset for DuckDB, SQLite or a spreadsheet, or the evidence table
as CSV or Parquet. Every table keeps its declared types; the data dictionary comes from the schemas."""
from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pyarrow as pa

from . import schema as ts
from .evidence import view_sql
from .loader import bundled, evidence_of, evidence_schema_of, read_arrow, require_module
from .package import DataPackage
from .sql import create_table, plain, quoted

FORMATS = ("duckdb", "sqlite", "xlsx", "csv", "parquet")


def dictionary_rows(package: DataPackage) -> list[dict]:
    """The data dictionary of every table and of the evidence table, one row per column."""
    schemas = {name: resource.schema for name, resource in package.resources.items()}
    schemas["evidence"] = evidence_schema_of(package)
    return [{"table": name, **row} for name, schema in schemas.items()
            for row in ts.describe(schema).astype(object).to_dict("records")]


def write_sqlite(out: Path, package: DataPackage) -> None:
    con = sqlite3.connect(out)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        for name, resource in package.resources.items():
            con.execute(create_table(name, resource.schema, "sqlite"))
            table = plain(read_arrow(package, name))
            rows = [[int(v) if isinstance(v, bool) else v.isoformat() if isinstance(v, datetime.date) else v
                     for v in row.values()] for row in table.to_pylist()]
            con.executemany(f"INSERT INTO {quoted(name)} VALUES ({', '.join('?' * table.num_columns)})", rows)
        con.execute(view_sql())
        columns = ["table", "column", "type", "required", "constraints", "description", "example"]
        con.execute(f"CREATE TABLE data_dictionary ({', '.join(f'{quoted(c)} TEXT' for c in columns)})")
        con.executemany("INSERT INTO data_dictionary VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[str(row[c]).lower() if c == "required" else row[c] for c in columns]
                         for row in dictionary_rows(package)])
        con.commit()
    finally:
        con.close()


def write_xlsx(out: Path, package: DataPackage) -> None:
    """A README sheet, a sheet per table and one for the evidence table, and the data dictionary.
    Every text cell is written as text: a value starting with '=' never becomes a formula."""
    openpyxl = require_module("openpyxl", "excel")
    from .cite import cite

    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "README"
    readme_rows = [["k2data", package.descriptor.get("title", "")], ["version", package.version],
                   ["cite as", cite("text", package)], ["licence", "data CC-BY-4.0; code MIT"],
                   ["sheets", "one per table, 'evidence' (one row per outcome, joined), 'data_dictionary'"]]
    sheets = {name: plain(read_arrow(package, name)) for name in package.resources}
    sheets["evidence"] = plain(evidence_of(package))
    rows = dictionary_rows(package)
    for name, table in [*sheets.items(), ("data_dictionary", pa.Table.from_pylist(rows))]:
        sheet = book.create_sheet(name)
        write_rows(sheet, [table.column_names, *([row[c] for c in table.column_names] for row in table.to_pylist())])
    write_rows(readme, readme_rows)
    book.save(out)


def write_rows(sheet, rows) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would take '=...' as a formula


def export(fmt: str, out: str | Path, package: DataPackage | None = None) -> Path:
    """Write the dataset (duckdb, sqlite, xlsx) or the evidence table (csv, parquet) to out, a path that
    must not exist yet."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    out, package = Path(out), package or bundled()
    if out.exists():
        raise ValueError(f"{out} exists already; give a new path (nothing was written)")
    if not out.parent.is_dir():
        raise ValueError(f"folder {out.parent} does not exist; create it first (nothing was written)")
    if fmt == "duckdb":
        from .sql import connect

        connect(out, package).close()
    elif fmt == "sqlite":
        write_sqlite(out, package)
    elif fmt == "xlsx":
        write_xlsx(out, package)
    elif fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(plain(evidence_of(package)), out)
    else:
        import pyarrow.parquet as pq

        pq.write_table(evidence_of(package), out)
    return out
