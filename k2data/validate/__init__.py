"""Validate a k2data package: every problem at once, as TABLE:ROW:COLUMN: message [rule].

Valid tables take the fast path: one typed Arrow read per memory-mapped CSV (hashed alongside in a
thread), text columns dictionary-encoded so that checks look at each distinct value once, whole-column
checks, Parquet compared in Arrow. A table that does not read cleanly is read again
as text to find each bad cell.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import schema as ts
from ..package import DataPackage, Resource, sha256
from ..read import read_text, read_typed, typed_from_text
from . import files, tables
from .report import Problem, Report
from .rules import catalogue, check_rules

__all__ = ["validate", "catalogue", "Problem", "Report"]


def read_resource(resource: Resource, data) -> tuple[pa.Table | None, dict, list[Problem]]:
    """The typed table, the cells already reported as bad, and the problems that reading found."""
    name, names = resource.name, ts.field_names(resource.schema)
    problems = files.check_header(name, files.header_of(data), names)
    if data[:3] == files.BOM or problems:
        return None, {}, files.check_encoding(name, data) or problems
    typed = read_typed(data, resource.schema, encode_text=True)
    if typed is not None:
        return typed, {}, []
    problems = files.check_encoding(name, data)
    if problems:
        return None, {}, problems
    text, ragged = read_text(data, names)
    if ragged:
        return None, {}, files.ragged_rows(name, data, len(names))
    typed, bad = typed_from_text(text, resource.schema)
    return typed, bad, tables.check_types(name, text, bad, resource.schema)


def check_table(resource: Resource, typed: pa.Table, bad: dict, digest: str, parquet: Future | None) -> list[Problem]:
    """The schema's column rules on one typed table, then its Parquet copy (run in a helper thread)."""
    problems = tables.check_columns(resource.name, typed, bad, resource.schema)
    if parquet is not None:
        problems += files.check_parquet(resource, typed, digest, *parquet.result())
    return problems


def validate(path: str | Path | None = None) -> Report:
    """Check the bundled package, or the one at path (a folder or its datapackage.json).

    Raises PackageError when the package itself cannot be used (missing or broken descriptor).
    """
    package = DataPackage(path)
    report = Report(tables=list(package.resources))
    typed_tables, unparsed_rows, found = {}, {}, []
    with ThreadPoolExecutor(max_workers=2) as helper:  # hashing, Parquet reads and column checks overlap
        for name, resource in package.resources.items():
            try:
                resource.schema
            except Exception as exc:  # PackageError, or a schema that is not a Table Schema object
                found.append([Problem(name, None, None, "schema", str(exc))])
                continue
            data, problems = files.map_csv(resource)
            found.append(problems)
            if data is None:
                continue
            digest = helper.submit(sha256, data)
            typed, bad, problems = read_resource(resource, data)
            found.append(problems + files.check_integrity(resource, len(data), digest.result()))
            if typed is None:
                continue
            parquet = None if any(np.any(mask) for mask in bad.values()) else \
                helper.submit(files.read_parquet, resource, digest.result())
            found.append(helper.submit(check_table, resource, typed, bad, digest.result(), parquet))
            typed_tables[name] = typed
            if bad:
                unparsed_rows[name] = np.logical_or.reduce(list(bad.values()))
        cross = [problem for name, typed in typed_tables.items()
                 for problem in tables.check_foreign_keys(name, typed, package.resources[name].schema, typed_tables,
                                                          declared=set(package.resources))]
        cross += check_rules(typed_tables, unparsed_rows)
        for part in found:
            report.problems += part if isinstance(part, list) else part.result()
    report.problems += cross
    return report
