"""Table Schema -> pandas and Arrow types, pandera checks and the data dictionary.

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


def dtype(field: dict):
    """The pandas dtype a column is loaded as."""
    enum = constraints(field).get("enum")
    if enum is not None:
        return pd.CategoricalDtype(categories=enum, ordered=False)
    return {
        "integer": "Int64",
        "number": "Float64",
        "boolean": "boolean",
        "date": "datetime64[us]",
    }.get(field["type"], "str")


def arrow_type(field: dict):
    """The Parquet (Arrow) type a column is stored as."""
    import pyarrow as pa

    return {
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }.get(field["type"], pa.string())


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
