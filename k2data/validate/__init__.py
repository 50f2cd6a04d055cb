"""Validate a k2data package: every problem at once, as TABLE:ROW:COLUMN: message."""
from __future__ import annotations

from pathlib import Path

from ..loader import parse
from ..package import DataPackage
from . import files, tables
from .report import Problem, Report

__all__ = ["validate", "Problem", "Report"]


def validate(path: str | Path | None = None) -> Report:
    """Check the bundled package, or the one at path (a folder or its datapackage.json).

    Raises PackageError when the package itself cannot be used (missing or broken descriptor).
    """
    package = DataPackage(path)
    report = Report(tables=list(package.resources))
    typed_tables = {}
    for name, resource in package.resources.items():
        try:
            resource.schema
        except Exception as exc:  # PackageError or a schema that is not a JSON object
            report.problems.append(Problem(name, None, None, "schema", str(exc)))
            continue
        data, problems = files.read_bytes(resource)
        report.problems += problems
        if data is None:
            continue
        report.problems += files.check_integrity(resource, data)
        text, problems = files.read_text_table(resource, data)
        report.problems += problems
        if text is None:
            continue
        typed, bad = parse(text, resource.schema)
        report.problems += tables.check_types(name, text, bad, resource.schema)
        report.problems += tables.check_constraints(name, typed, bad, resource.schema)
        report.problems += tables.check_primary_key(name, typed, resource.schema)
        report.problems += files.check_parquet(resource, typed, files.sha256(data))
        typed_tables[name] = typed
    for name, typed in typed_tables.items():
        report.problems += tables.check_foreign_keys(name, typed, package.resources[name].schema, typed_tables)
    return report
