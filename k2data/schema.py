"""Table Schema -> pandas, Arrow, polars, DuckDB and SQLite types, pandera checks and the data dictionary.

This is the one place where a column's rules are turned into code; every rule comes from the
Table Schema JSON files in ``schemas/``.
"""
from __future__ import annotations

import json

import pandas as pd


def fields(schema: dict) -> list[dict]:
    """The fields of a Table Schema, each with its type (Table Schema's default is string)."""
    return [f if "type" in f else {**f, "type": "string"} for f in schema.get("fields", [])]


def field_names(schema: dict) -> list[str]:
    return [f["name"] for f in fields(schema)]


def constraints(field: dict) -> dict:
    return field.get("constraints", {})


def primary_key(schema: dict) -> list[str]:
    key = schema.get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def foreign_keys(schema: dict) -> list[tuple[str, str, str]]:
    """(column, parent table, parent column) for each single-column foreign key."""
    out = []
    for fk in schema.get("foreignKeys", []):
        cols = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        ref_cols = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        out.extend((c, ref["resource"], r) for c, r in zip(cols, ref_cols))
    return out


# The one mapping from a Table Schema type to each backend's type; an enum is, on every backend, the
# backend's categorical type with the declared categories in declared order.
TYPES = {
    "integer": {"pandas": "Int64", "arrow": "int64", "polars": "Int64", "duckdb": "BIGINT", "sqlite": "INTEGER"},
    "number": {"pandas": "Float64", "arrow": "float64", "polars": "Float64", "duckdb": "DOUBLE", "sqlite": "REAL"},
    "boolean": {"pandas": "boolean", "arrow": "bool_", "polars": "Boolean", "duckdb": "BOOLEAN", "sqlite": "INTEGER"},
    "date": {"pandas": "datetime64[us]", "arrow": "date32", "polars": "Date", "duckdb": "DATE", "sqlite": "TEXT"},
    "string": {"pandas": "str", "arrow": "string", "polars": "String", "duckdb": "VARCHAR", "sqlite": "TEXT"},
}


def categories(field: dict) -> list | None:
    """The declared categories of an enum field, in declared order (None for other fields)."""
    return constraints(field).get("enum")


def dtype(field: dict):
    """The pandas dtype a column is loaded as."""
    if categories(field) is not None:
        return pd.CategoricalDtype(categories=categories(field), ordered=False)
    return TYPES[field["type"]]["pandas"]


def arrow_type(field: dict, encoded: bool = False):
    """The Arrow type of a column: plain, or with encoded=True an enum as a dictionary type (the
    dictionary holding the declared categories, in order)."""
    import pyarrow as pa

    if encoded and categories(field) is not None:
        return pa.dictionary(pa.int32(), pa.string())
    return getattr(pa, TYPES[field["type"]]["arrow"])()


def polars_type(field: dict):
    """The polars dtype of a column: an enum as pl.Enum with the declared categories."""
    import polars as pl

    if categories(field) is not None:
        return pl.Enum(categories(field))
    return getattr(pl, TYPES[field["type"]]["polars"])


def sql_type(field: dict, dialect: str) -> str:
    """The column type in DuckDB or SQLite (an enum's DuckDB type is created by name elsewhere)."""
    return TYPES[field["type"]][dialect]


def to_pandas(table, schema: dict) -> pd.DataFrame:
    """An Arrow table in its stored schema as a pandas frame with the declared dtypes, converted in one
    pass (numbers and booleans straight to the nullable dtypes, dictionaries to categoricals)."""
    mapper = {arrow_type(f): pd.api.types.pandas_dtype(TYPES[f["type"]]["pandas"])
              for f in ({"type": kind} for kind in ("integer", "number", "boolean"))}
    frame = table.to_pandas(types_mapper=mapper.get, date_as_object=False)
    for field in fields(schema):
        if field["type"] == "date":
            frame[field["name"]] = frame[field["name"]].astype(TYPES["date"]["pandas"])
    return frame


def apply_dtypes(frame: pd.DataFrame, schema: dict, categorical: bool = True) -> pd.DataFrame:
    """Cast parsed or Parquet-read columns to the declared pandas dtypes, in schema order.

    categorical=False keeps enum columns as strings (for comparing data that may break an enum).
    """
    out = {}
    for field in fields(schema):
        column = frame[field["name"]]
        target = dtype(field) if categorical or "enum" not in constraints(field) else "str"
        if field["type"] == "date":
            column = pd.to_datetime(column)
        out[field["name"]] = column.astype(target)
    return pd.DataFrame(out, index=frame.index)


RULE_MESSAGES = {
    "enum": lambda c: "is not one of: " + ", ".join(c["enum"]),
    "pattern": lambda c: f"does not match the pattern {c['pattern']}",
    "minimum": lambda c: f"is below the minimum {c['minimum']}",
    "maximum": lambda c: f"is above the maximum {c['maximum']}",
}


def column_rules(field: dict) -> list[str]:
    """The value rules of a field, in the order its pandera checks are built."""
    return [rule for rule in RULE_MESSAGES if rule in constraints(field)]


def pandera_schema(schema: dict, name: str = ""):
    """A pandera DataFrameSchema of a Table Schema's column rules, for frames already typed (as
    k2data.load returns them). The package validator runs the same rules on Arrow columns."""
    import pandera.pandas as pa

    builders = {
        "enum": lambda c: pa.Check(lambda s, allowed=tuple(c["enum"]): s.astype("str").isin(allowed)),
        "pattern": lambda c: pa.Check(lambda s, p=c["pattern"]: s.astype("str").str.fullmatch(p)),
        "minimum": lambda c: pa.Check.ge(c["minimum"]),
        "maximum": lambda c: pa.Check.le(c["maximum"]),
    }
    columns = {}
    for field in fields(schema):
        c = constraints(field)
        checks = [builders[rule](c) for rule in column_rules(field)]
        for check, rule in zip(checks, column_rules(field)):
            check.name, check.error = rule, RULE_MESSAGES[rule](c)
        columns[field["name"]] = pa.Column(checks=checks, nullable=not c.get("required", False),
                                           unique=bool(c.get("unique")), required=True)
    return pa.DataFrameSchema(columns, name=name)


def describe(schema: dict) -> pd.DataFrame:
    """The data dictionary of a table: one row per column."""
    rows = []
    for field in fields(schema):
        c = dict(constraints(field))
        required = bool(c.pop("required", False))
        rows.append({
            "column": field["name"],
            "type": field["type"],
            "required": required,
            "constraints": "; ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in c.items()),
            "description": field.get("description", ""),
            "example": "" if field.get("example") is None else str(field["example"]),
        })
    return pd.DataFrame(rows).astype({"required": "boolean"} | {k: "str" for k in
                                      ("column", "type", "constraints", "description", "example")})
