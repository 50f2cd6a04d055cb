"""k2data.connect(): the dataset in DuckDB, with its declared types (ENUM types for the vocabularies),
its primary and foreign keys, a comment on every table and column from the Table Schemas, and the
view `evidence`. The SQL written here serves the SQLite export too."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from . import schema as ts
from .evidence import view_sql
from .loader import bundled, evidence_schema_of, read_arrow, require_module
from .package import DataPackage


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def enum_type(table: str, field: dict) -> str:
    return quoted(f"{table}_{field['name']}")


def create_table(name: str, schema: dict, dialect: str) -> str:
    """CREATE TABLE with typed columns, NOT NULL, the primary key and the foreign keys. DuckDB takes an
    enum as its ENUM type; SQLite as text with a CHECK on the categories."""
    columns = []
    for field in ts.fields(schema):
        declared = ts.categories(field)
        kind = enum_type(name, field) if declared is not None and dialect == "duckdb" else ts.sql_type(field, dialect)
        column = f"{quoted(field['name'])} {kind}"
        if ts.constraints(field).get("required"):
            column += " NOT NULL"
        if declared is not None and dialect == "sqlite":
            column += f" CHECK ({quoted(field['name'])} IN ({', '.join(map(literal, declared))}))"
        columns.append(column)
    if ts.primary_key(schema):
        columns.append(f"PRIMARY KEY ({', '.join(map(quoted, ts.primary_key(schema)))})")
    columns += [f"FOREIGN KEY ({quoted(column)}) REFERENCES {quoted(parent)} ({quoted(key)})"
                for column, parent, key in ts.foreign_keys(schema)]
    return f"CREATE TABLE {quoted(name)} ({', '.join(columns)})"


def plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns decoded (the databases type them themselves)."""
    return table.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                                 for f in table.schema]))


def connect(database: str | Path = ":memory:", package: DataPackage | None = None):
    """A DuckDB connection holding every table of the dataset and the view `evidence`.

    Each column has its declared type, an enum its own ENUM type; each table its primary and foreign
    keys; `duckdb_columns()` and `duckdb_tables()` show the descriptions as comments. database: a file
    to write instead of memory (as `k2data export duckdb` does)."""
    duckdb = require_module("duckdb", "duckdb")
    package = package or bundled()
    con = duckdb.connect(str(database))
    for name, resource in package.resources.items():
        schema = resource.schema
        for field in ts.fields(schema):
            if ts.categories(field) is not None:
                con.execute(f"CREATE TYPE {enum_type(name, field)} AS ENUM "
                            f"({', '.join(map(literal, ts.categories(field)))})")
        con.execute(create_table(name, schema, "duckdb"))
        source = plain(read_arrow(package, name))
        con.register("k2data_source", source)
        con.execute(f"INSERT INTO {quoted(name)} SELECT * FROM k2data_source")
        con.unregister("k2data_source")
        con.execute(f"COMMENT ON TABLE {quoted(name)} IS {literal(resource.descriptor.get('title', name))}")
        for field in ts.fields(schema):
            con.execute(f"COMMENT ON COLUMN {quoted(name)}.{quoted(field['name'])} IS "
                        f"{literal(field.get('description', ''))}")
    con.execute(view_sql())
    con.execute("COMMENT ON VIEW evidence IS " + literal("One row per outcome with its study, its K2 arm and "
                                                         "comparator, its model and its term (k2data.evidence())"))
    for field in ts.fields(evidence_schema_of(package)):
        con.execute(f"COMMENT ON COLUMN evidence.{quoted(field['name'])} IS {literal(field.get('description', ''))}")
    return con
