"""Validate a k2data package: every problem at once, as TABLE:ROW:COLUMN: message [rule].

The descriptor and its Table Schemas are checked first; a table whose schema cannot be used is not
read. Each CSV is memory-mapped (hashed alongside in a thread) and read once by the parser that build
and load share (k2data.read): every cell as text, typed columns cast whole, coded text columns
dictionary-encoded so that column checks look at each distinct value once and walk rows only when
something is wrong. Parsing, column checks and rules run in a small thread pool. The Parquet copy is
compared in Arrow, or trusted when it is byte for byte what `k2data build` wrote.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import descriptor
from ..package import DataPackage, Resource, sha256
from ..read import CsvProblem, oversized_cells, parse, read_cells, type_problems
from . import files, tables
from .report import Problem, Report
from .rules import catalogue, check_rules

__all__ = ["validate", "catalogue", "Problem", "Report"]


def located(name: str, problems: list[CsvProblem]) -> list[Problem]:
    return [Problem(name, p.row, p.column, p.rule, p.message) for p in problems]


def read_resource(resource: Resource, data, map_=map) -> tuple[pa.Table | None, dict, list[Problem]]:
    """The typed table, the cells already reported as bad, and the problems that reading found."""
    cells, problems = read_cells(data, resource.schema)
    if cells is None:
        return None, {}, located(resource.name, problems)
    typed, bad = parse(cells, resource.schema, map_, encode=True)
    problems = type_problems(cells, bad, resource.schema) + oversized_cells(cells)
    return typed, bad, located(resource.name, problems)


def check_table(resource: Resource, typed: pa.Table, bad: dict, digest: str, parquet: Future | None) -> list[Problem]:
    """The schema's column rules on one typed table, then its Parquet copy (run in a helper thread)."""
    problems = tables.check_columns(resource.name, typed, bad, resource.schema)
    if parquet is not None:
        problems += files.check_parquet(resource, typed, digest, *parquet.result())
    return problems


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
            typed, bad, problems = read_resource(resource, data, helper.map)
            found.append(problems + files.check_integrity(resource, len(data), digest.result()))
            if typed is None:
                continue
            parquet = None if bad or problems else helper.submit(files.read_parquet, resource, digest.result())
            found.append(helper.submit(check_table, resource, typed, bad, digest.result(), parquet))
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
