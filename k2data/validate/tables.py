"""Checks derived from the Table Schemas, run on Arrow columns: types, required, enum, pattern,
minimum/maximum, text hygiene (whitespace, spreadsheet formulas), primary and foreign keys.

Each check first looks at whole columns (null counts, distinct values) and only walks rows when
something is wrong, so valid tables are checked at the speed of Arrow.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema as ts
from .report import Problem

TYPE_WORDS = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
              "date": "a date YYYY-MM-DD", "string": "text"}
FORMULA_START = "=+-@"
TEXT_HAZARD = r"^[\s=+\-@]|\s$"  # one pass to see whether the whitespace or formula rule can fail


def row_number(index) -> int:
    """Spreadsheet row of a 0-based data index (the header is row 1)."""
    return int(index) + 2


def show(value) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def rows_where(mask) -> np.ndarray:
    """0-based indices where an Arrow boolean mask is true (nulls count as false)."""
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def outside(column: pa.ChunkedArray, allowed: pa.Array):
    """Mask of the non-null cells whose value is not in allowed."""
    return pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=allowed)))


def check_types(name: str, text: pa.Table, bad: dict[str, np.ndarray], schema: dict) -> list[Problem]:
    out = []
    for field in ts.fields(schema):
        for index in np.flatnonzero(bad[field["name"]]):
            out.append(Problem(name, row_number(index), field["name"], "type",
                               f"{show(text[field['name']][int(index)].as_py())} is not "
                               f"{TYPE_WORDS.get(field['type'], field['type'])}"))
    return out


def check_column(name: str, field: dict, column: pa.ChunkedArray, already_bad: np.ndarray | None,
                 distinct_counts: dict[str, int]) -> list[Problem]:
    """required, enum, pattern, minimum, maximum, whitespace and formula for one column.

    Records the number of distinct text values in distinct_counts (the primary-key check reuses it).
    """
    c, col, out = ts.constraints(field), field["name"], []

    def report(mask, rule, message):
        for index in rows_where(mask):
            if already_bad is None or not already_bad[index]:
                value = column[int(index)].as_py()
                out.append(Problem(name, row_number(index), col, rule,
                                   message if value is None else f"{show(value)} {message}"))

    if c.get("required") and column.null_count:
        report(pc.is_null(column), "required", "a value is required")
    if "enum" in c:
        report(outside(column, pa.array(c["enum"])), "enum", ts.RULE_MESSAGES["enum"](c))
    if field["type"] == "string" and column.null_count < len(column):
        distinct = pc.unique(column.drop_null())  # text rules look at each distinct value once
        distinct_counts[col] = len(distinct)
        rules = [("pattern", pc.invert(pc.match_substring_regex(distinct, f"^(?:{c['pattern']})$")),
                  ts.RULE_MESSAGES["pattern"](c))] if "pattern" in c else []
        if pc.any(pc.match_substring_regex(distinct, TEXT_HAZARD)).as_py():
            rules += [("whitespace", pc.match_substring_regex(distinct, r"^\s|\s$"),
                       "has spaces or line breaks at its start or end"),
                      ("formula", pc.match_substring_regex(distinct, "^[" + re.escape(FORMULA_START) + "]"),
                       "starts with = + - or @, which a spreadsheet runs as a formula")]
        for rule, hit, message in rules:
            offenders = distinct.filter(hit)
            if len(offenders):
                report(pc.is_in(column, value_set=offenders), rule, message)
    for rule, compare in (("minimum", pc.less), ("maximum", pc.greater)):
        if rule in c and column.null_count < len(column):
            report(compare(column, pa.scalar(c[rule]).cast(column.type)), rule, ts.RULE_MESSAGES[rule](c))
    return out


def check_columns(name: str, table: pa.Table, bad: dict[str, np.ndarray], schema: dict) -> list[Problem]:
    out, distinct_counts = [], {}
    for field in ts.fields(schema):
        out += check_column(name, field, table[field["name"]], bad.get(field["name"]), distinct_counts)
    return out + check_primary_key(name, table, schema, distinct_counts)


def check_primary_key(name: str, table: pa.Table, schema: dict, distinct_counts: dict[str, int]) -> list[Problem]:
    key = ts.primary_key(schema)
    if not key:
        return []
    if len(key) == 1:
        column = table[key[0]]
        distinct = distinct_counts.get(key[0])
        if distinct is None:
            distinct = pc.count_distinct(column).as_py()
        if distinct == len(column) - column.null_count:
            return []
    values = table.select(key).to_pandas()
    dup = values.duplicated(keep=False) & values.notna().all(axis=1)
    out, first_row = [], {}
    for index, row in values[dup].iterrows():
        k = tuple(row)
        if k in first_row:
            out.append(Problem(name, row_number(index), ",".join(key), "primary_key",
                               f"{show(', '.join(map(str, k)))} is already used at row {first_row[k]}"))
        else:
            first_row[k] = row_number(index)
    return out


def check_foreign_keys(name: str, table: pa.Table, schema: dict, parents: dict[str, pa.Table],
                       declared: set[str]) -> list[Problem]:
    """Every non-blank reference must name an existing row of the parent table.

    A parent that is declared but could not be read has its own problems reported; its
    references are not checked.
    """
    out = []
    for column, parent, parent_column in ts.foreign_keys(schema):
        if parent not in declared:
            out.append(Problem(name, None, column, "foreign_key", f"refers to table {parent!r}, which the package lacks"))
        if parent not in parents:
            continue
        values = table[column]
        known = parents[parent][parent_column].combine_chunks().drop_null()
        for index in rows_where(outside(values, known)):
            out.append(Problem(name, row_number(index), column, "foreign_key",
                               f"{show(values[int(index)].as_py())} is not a {parent}.{parent_column}"))
    return out

