"""Validate a k2data package: every problem at once, as TABLE:ROW:COLUMN: message [rule].

The descriptor and its Table Schemas are checked first; a table whose schema cannot be used is not
read. Each CSV is memory-mapped (hashed alongside in a thread) and read once by the parser that build
and load share (k2data.read): every cell as text, typed columns cast whole, coded text columns
dictionary-encoded so that column checks look at each distinct value once and walk rows only when
something is wrong. Parsing, column checks and rules run in a small thread pool. The Parquet copy is
compared in Arrow, or trusted when it is byte for byte what `k2data build` wrote.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .. import descriptor
from .. import schema as ts
from ..package import DataPackage, sha256
from ..read import CsvProblem, oversized_cells, parse, read_cells, type_problems
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


def validate(path: str | Path | None = None) -> Report:
    """Check the bundled package, or the one at path (a folder or its datapackage.json).

    Raises PackageError when the package itself cannot be used (missing or unreadable descriptor).
    """
    package = DataPackage(path)
    report = Report(tables=list(package.resources))
    found, unusable = descriptor.check(package, defined_schemas())
    found = [[Problem(*p) for p in found]]
    typed_tables, unparsed_rows = {}, {}
    with ThreadPoolExecutor(max_workers=3) as helper:  # hashing, Parquet, parsing, checks and rules overlap
        for name, resource in package.resources.items():
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
            key = text_key(resource.schema)
            unique = helper.submit(tables.all_distinct, cells[key]) if key else None  # hashed while parsing
            typed, bad = parse(cells, resource.schema, helper.map, encode=True)
            problems = located(name, type_problems(cells, bad, resource.schema) + oversized_cells(cells))
            found.append(problems + files.check_integrity(resource, len(data), digest.result()))
            parquet = None if bad or problems else helper.submit(files.read_parquet, resource, digest.result())
            found += [helper.submit(job) for job in tables.column_checks(name, typed, bad, resource.schema)]
            found.append(helper.submit(tables.check_key, name, typed, resource.schema, unique))
            if parquet is not None:
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
