"""Validate a k2data package: every problem at once, as TABLE:ROW:COLUMN: message [rule].

The descriptor and its Table Schemas are checked first; a table whose schema cannot be used is not
read. Each CSV is memory-mapped (hashed alongside in a thread) and read once by the parser that build
and load share (k2data.read): every cell as text, typed columns cast whole, coded text columns
dictionary-encoded so that column checks look at each distinct value once and walk rows only when
something is wrong. Each column is parsed and checked as one job in a small thread pool while the
next table is read; keys, the Parquet copy, foreign keys and the cross rules follow once every table
is in. The Parquet copy is compared in Arrow, or trusted when it is byte for byte what `k2data build`
wrote.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import descriptor
from .. import schema as ts
from ..package import DataPackage, sha256
from ..read import CsvProblem, cell_mask, oversized_cells, parse_field, read_cells, type_problems
from . import files, tables
from .report import Problem, Report
from .rules import catalogue, check_rules

__all__ = ["validate", "catalogue", "Problem", "Report"]


def located(name: str, problems: list[CsvProblem]) -> list[Problem]:
    return [Problem(name, p.row, p.column, p.rule, p.message) for p in problems]


def text_key(schema: dict) -> str | None:
    """A single-column text primary key: its uniqueness can be hashed from the cells as read."""
    key = ts.primary_key(schema)
    return key[0] if len(key) == 1 and any(f["name"] == key[0] and f["type"] == "string"
                                           for f in ts.fields(schema)) else None


def defined_schemas() -> dict[str, dict]:
    """The tables k2data defines, with their Table Schemas: those of the bundled package."""
    bundled = DataPackage()
    return {name: resource.schema for name, resource in bundled.resources.items()}


def checked_column(name: str, field: dict, cells: pa.ChunkedArray, schema: dict) -> tuple:
    """One column parsed by the shared parser and given its column rules: (typed, mask of cells that are
    not values of its type or None, their type problems, the column's other problems). A job for the
    pool; the column's text is let go when it ends."""
    typed, wrong = parse_field(cells, field, schema, encode=True)
    typed = pa.chunked_array([typed]) if isinstance(typed, pa.Array) else typed  # as a table holds it
    bad = None if wrong is None else cell_mask(wrong)
    wrong_type = [] if bad is None else located(name, type_problems(cells, bad, field))
    return typed, bad, wrong_type, tables.check_column(name, field, typed, bad, schema)


def validate(path: str | Path | None = None) -> Report:
    """Check the bundled package, or the one at path (a folder or its datapackage.json).

    Raises PackageError when the package itself cannot be used (missing or unreadable descriptor).
    """
    package = DataPackage(path)
    report = Report(tables=list(package.resources))
    found, unusable = descriptor.check(package, defined_schemas())
    found = [[Problem(*p) for p in found]]
    read = []  # the tables read, each with its jobs running
    with ThreadPoolExecutor(max_workers=3) as helper:  # hashing, parsing, checks, Parquet and rules overlap
        for name, resource in package.resources.items():  # every table read, its columns handed to the pool
            if name in unusable:
                continue
            data, problems = files.map_csv(resource)
            found.append(problems)
            if data is None:
                continue
            digest = helper.submit(sha256, data)
            cells, problems = read_cells(data, resource.schema)
            if cells is None:
                found.append(located(name, problems) + files.check_integrity(resource, len(data), digest.result()))
                continue
            oversized = located(name, oversized_cells(cells))
            key = text_key(resource.schema)
            unique = helper.submit(tables.all_distinct, cells[key]) if key else None
            columns = [helper.submit(checked_column, name, field, cells[field["name"]], resource.schema)
                       for field in ts.fields(resource.schema)]
            read.append((resource, len(data), digest, unique, columns, oversized))
            del cells  # each column's text is now held by its job alone, and let go when the job ends
        typed_tables, unparsed_rows = {}, {}
        for resource, size, digest, unique, columns, oversized in read:  # then each table assembled
            name, schema = resource.name, resource.schema
            parsed = [column.result() for column in columns]
            typed = pa.Table.from_arrays([column for column, *_ in parsed], names=ts.field_names(schema))
            bad = {f["name"]: mask for f, (_, mask, *_) in zip(ts.fields(schema), parsed) if mask is not None}
            problems = [problem for _, _, wrong_type, _ in parsed for problem in wrong_type] + oversized
            found.append(problems + files.check_integrity(resource, size, digest.result()))
            found += [column_problems for *_, column_problems in parsed]
            found.append(helper.submit(tables.check_key, name, typed, schema, unique))
            if not (bad or problems):
                parquet = helper.submit(files.read_parquet, resource, digest.result())
                found.append(helper.submit(files.check_parquet, resource, typed, digest.result(), parquet))
            typed_tables[name] = typed
            if bad:
                unparsed_rows[name] = np.logical_or.reduce(list(bad.values()))
        cross = [problem for name, typed in typed_tables.items()
                 for problem in tables.check_foreign_keys(name, typed, package.resources[name].schema, typed_tables,
                                                          declared=set(package.resources))]
        cross += check_rules(typed_tables, unparsed_rows, helper.map)
        for part in found:
            report.problems += part if isinstance(part, list) else part.result()
    report.problems += cross
    return report
