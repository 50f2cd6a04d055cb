"""Checks derived from the Table Schemas: types, required, enum, pattern, minimum/maximum,
primary keys and foreign keys."""
from __future__ import annotations

import pandas as pd

from .. import schema as ts
from .report import Problem

TYPE_WORDS = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
              "date": "a date YYYY-MM-DD", "string": "text"}


def row_number(index) -> int:
    """Spreadsheet row of a 0-based data index (the header is row 1)."""
    return int(index) + 2


def show(value) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def check_types(name: str, text: pd.DataFrame, bad: dict[str, pd.Series], schema: dict) -> list[Problem]:
    out = []
    for field in ts.fields(schema):
        mask = bad[field["name"]]
        for index in mask.index[mask.to_numpy()]:
            out.append(Problem(name, row_number(index), field["name"], "type",
                               f"{show(text.at[index, field['name']])} is not {TYPE_WORDS.get(field['type'], field['type'])}"))
    return out


def check_constraints(name: str, typed: pd.DataFrame, bad: dict[str, pd.Series], schema: dict) -> list[Problem]:
    """required, enum, pattern, minimum, maximum through pandera; cells of the wrong type are skipped."""
    import pandera.pandas as pa

    frame = typed.copy()
    for column, mask in bad.items():
        if mask.any():  # a type error is reported once, not again as 'required'
            frame[column] = frame[column].where(~mask)
    try:
        ts.pandera_schema(schema, name).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    out = []
    fields = {f["name"]: f for f in ts.fields(schema)}
    for case in cases.itertuples(index=False):
        column, index = case.column, case.index
        if column not in fields or pd.isna(index):
            continue
        if case.check == "not_nullable":
            if not bad[column].at[index]:
                out.append(Problem(name, row_number(index), column, "required", "a value is required"))
            continue
        field = fields[column]
        rule = ts.column_rules(field)[int(case.check_number)]
        message = ts.RULE_MESSAGES[rule](ts.constraints(field))
        out.append(Problem(name, row_number(index), column, rule, f"{show(case.failure_case)} {message}"))
    return out


def check_primary_key(name: str, typed: pd.DataFrame, schema: dict) -> list[Problem]:
    key = ts.primary_key(schema)
    if not key:
        return []
    values = typed[key]
    complete = values.notna().all(axis=1)
    dup = values.duplicated(keep=False) & complete
    out = []
    first_row = {}
    for index, row in values[dup].iterrows():
        k = tuple(row)
        if k in first_row:
            out.append(Problem(name, row_number(index), ",".join(key), "primary_key",
                               f"{show(', '.join(map(str, k)))} is already used at row {first_row[k]}"))
        else:
            first_row[k] = row_number(index)
    return out


def check_foreign_keys(name: str, typed: pd.DataFrame, schema: dict,
                       parents: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every non-blank reference must name an existing row of the parent table."""
    out = []
    for column, parent, parent_column in ts.foreign_keys(schema):
        if parent not in parents:
            out.append(Problem(name, None, column, "foreign_key",
                               f"refers to table {parent!r}, which is missing or unreadable"))
            continue
        values = typed[column]
        missing = values.notna() & ~values.isin(parents[parent][parent_column].dropna())
        for index in values.index[missing.to_numpy()]:
            out.append(Problem(name, row_number(index), column, "foreign_key",
                               f"{show(values.at[index])} is not a {parent}.{parent_column}"))
    return out
