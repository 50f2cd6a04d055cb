"""The loader: k2data.tables(), load(), load_all(), evidence(), path(), describe().

Every file that load reads is first checked against its recorded hash (datapackage.json's `hash` for
a CSV, the `k2data:parquet_hash` that `k2data build` wrote for a Parquet file); a mismatch or an
unreadable file raises IntegrityError and no data are returned.
"""
from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import schema as ts
from .evidence import TABLES as EVIDENCE_TABLES
from .evidence import evidence_schema, evidence_table
from .package import (PARQUET_HASH, DataPackage, IntegrityError, PackageError, Resource, built_from, is_installed,
                      sha256, size_differs)


@lru_cache(maxsize=1)
def bundled() -> DataPackage:
    """The data package shipped with k2data (read once)."""
    return DataPackage()


def tables() -> list[str]:
    """Names of the tables, in package order."""
    return list(bundled().resources)


@lru_cache(maxsize=8)
def unusable_schemas(package: DataPackage) -> dict[str, str]:
    """For each table whose Table Schema cannot be used, why (checked once per package)."""
    from .descriptor import check

    problems, unusable = check(package, {})
    return {name: next(f"{p.message}{f' (field {p.column})' if p.column else ''}" for p in problems if p.table == name)
            for name in unusable}


@lru_cache(maxsize=64)
def stored_schema_of(resource: Resource) -> pa.Schema:
    """The Arrow schema a table is stored and loaded in (built once per resource)."""
    from .read import stored_schema

    return stored_schema(resource.schema)


def remedy(resource: Resource) -> str:
    if is_installed(resource.root):
        return ("the installed data were changed or damaged; reinstall k2data from where you installed it "
                "(pip install --force-reinstall with the same folder or wheel)")
    return "run `k2data build` after editing a CSV, then `k2data validate`"


def verified(resource: Resource, path: Path, recorded, what: str) -> bytes:
    """The bytes of a file of the package, only when their sha256 is the recorded one."""
    name = f"table {resource.name!r}: {path.relative_to(resource.root)}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntegrityError(f"{name} cannot be read ({exc.strerror}); {remedy(resource)}") from None
    if not isinstance(recorded, str):
        raise IntegrityError(f"{name}: datapackage.json records no {what}; {remedy(resource)}")
    if sha256(data) != recorded:
        raise IntegrityError(f"{name} does not match the {what} recorded in datapackage.json; {remedy(resource)}")
    return data


def check_recorded_size(resource: Resource, size: int) -> None:
    """The CSV's size must be the bytes datapackage.json records, when it records them (as validate asks)."""
    descriptor = resource.descriptor
    if size_differs(descriptor, size):
        raise IntegrityError(f"table {resource.name!r}: {descriptor['path']} has {size} bytes, datapackage.json "
                             f"records {descriptor['bytes']!r}; {remedy(resource)}")


def verified_parquet(package: DataPackage, name: str) -> bytes | None:
    """The bytes of a table's Parquet copy, checked against the hash `k2data build` recorded (their
    metadata is checked by check_provenance); None when there is no recorded copy (the CSV is then
    read). The CSV is hashed too when it changed after the build (another size than recorded, or newer)."""
    resource = package.resource(name)
    if name in unusable_schemas(package):
        raise PackageError(f"table {name!r}: its Table Schema cannot be used: {unusable_schemas(package)[name]}; "
                           "run `k2data validate`")
    descriptor = resource.descriptor
    if not isinstance(descriptor.get("hash"), str):
        raise IntegrityError(f"table {name!r}: datapackage.json records no hash for {descriptor['path']}; "
                             f"{remedy(resource)}")
    recorded = descriptor.get(PARQUET_HASH)
    if not (resource.parquet_path.is_file() and recorded is not None):
        return None
    try:
        csv_stat, parquet_stat = resource.csv_path.stat(), resource.parquet_path.stat()
    except OSError as exc:
        raise IntegrityError(f"table {name!r}: {exc.filename} cannot be read ({exc.strerror}); {remedy(resource)}") \
            from None
    if csv_stat.st_size != descriptor.get("bytes") or csv_stat.st_mtime > parquet_stat.st_mtime:
        verified(resource, resource.csv_path, descriptor["hash"], "hash")
        check_recorded_size(resource, csv_stat.st_size)
    return verified(resource, resource.parquet_path, recorded, "Parquet hash")


def check_provenance(resource: Resource, metadata: dict | None, schema: pa.Schema | None = None) -> None:
    """The Parquet copy's metadata must name the recorded CSV and the current schema (and its Arrow
    schema, when given, be the stored one): else it is stale or forged."""
    metadata = {(k.encode() if isinstance(k, str) else k): (v.encode() if isinstance(v, str) else v)
                for k, v in (metadata or {}).items()}
    if not built_from(metadata, resource.descriptor["hash"], resource) or \
            (schema is not None and schema.remove_metadata() != stored_schema_of(resource)):
        raise IntegrityError(f"table {resource.name!r}: {resource.parquet_path.name} was not built from the "
                             f"current CSV or schema; {remedy(resource)}")


def unreadable(resource: Resource, exc: Exception) -> IntegrityError:
    """The error for a table's Parquet copy that matches its hash but cannot be read."""
    return IntegrityError(f"table {resource.name!r}: {resource.parquet_path.name} cannot be read ({exc}); "
                          f"{remedy(resource)}")


def read_arrow(package: DataPackage, name: str) -> pa.Table:
    """A table in its stored schema (enums encoded over their declared categories), from its verified
    Parquet copy, else from its verified CSV."""
    import pyarrow.parquet as pq

    from .read import read_typed, with_categories

    resource = package.resource(name)
    data = verified_parquet(package, name)
    if data is None:
        data = verified(resource, resource.csv_path, resource.descriptor["hash"], "hash")
        check_recorded_size(resource, len(data))
        return read_typed(data, resource.schema, name)
    try:
        table = pq.ParquetFile(pa.BufferReader(data)).read()  # the verified bytes, not the file again
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(resource, exc) from None
    check_provenance(resource, table.schema.metadata, table.schema)
    return with_categories(table, resource.schema, stored_schema_of(resource), name=name)


BACKENDS = {"pandas": "pandas", "polars": "polars", "pyarrow": "pyarrow"}  # backend: the module it needs


def require_module(module: str, extra: str):
    """An optional module, or an ImportError that gives the pip command installing it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}, which is not installed: pip install \"k2data[{extra}]\"") from None


def require(backend: str):
    """The backend's module (ImportError with the pip command if missing; ValueError if unknown)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    return require_module(BACKENDS[backend], backend)


def convert(table: pa.Table, schema: dict, backend: str):
    """An Arrow table in its stored schema as the backend's frame, typed from the Table Schema."""
    module = require(backend)
    table = table.replace_schema_metadata(None)
    if backend == "pyarrow":
        return table
    if backend == "polars":
        return with_polars_enums(module.from_arrow(table), schema)
    return ts.to_pandas(table, schema)


def with_polars_enums(frame, schema: dict):
    """A polars frame with each enum column cast to pl.Enum over its declared categories
    (strict: a value outside them raises)."""
    return frame.cast(polars_enums(json.dumps([[f["name"], ts.categories(f)] for f in ts.fields(schema)])))


@lru_cache(maxsize=256)
def polars_enums(columns: str) -> dict:
    """{column: pl.Enum over its categories} for a table's enum columns, built once per table."""
    return {name: ts.polars_type({"type": "string", "constraints": {"enum": categories}})
            for name, categories in json.loads(columns) if categories is not None}


def without_retracted(table: pa.Table, package: DataPackage, schema: dict | None = None) -> pa.Table:
    """The rows that hang on no retracted study: through their study_id, or, in a link table (pooled_trials),
    through the row that a foreign key in its primary key points to. A table that references no study
    (outcome_terms) is returned whole."""
    studies = read_arrow(package, "studies")
    retracted = studies.filter(pc.fill_null(studies["retracted"], False))["study_id"].combine_chunks()
    study_columns = [table["study_id"]] if "study_id" in table.column_names else []
    primary_key = (schema or {}).get("primaryKey", [])
    primary_key = {primary_key} if isinstance(primary_key, str) else set(primary_key)
    for key in (schema or {}).get("foreignKeys", []):
        column, parent, parent_key = key["fields"], key["reference"]["resource"], key["reference"]["fields"]
        if isinstance(column, str) and column in primary_key and column != "study_id" and parent != "studies":
            rows = read_arrow(package, parent)
            if "study_id" in rows.column_names:
                study_columns.append(pc.take(rows["study_id"], pc.index_in(table[column], value_set=rows[parent_key])))
    if not study_columns:
        return table
    keep = [pc.invert(pc.fill_null(pc.is_in(column, value_set=retracted), False)) for column in study_columns]
    for mask in keep[1:]:
        keep[0] = pc.and_(keep[0], mask)
    return table.filter(keep[0])


def read_table(package: DataPackage, name: str, exclude_retracted: bool = False, backend: str = "pandas"):
    """One table of a package, verified, in the backend's types."""
    if backend == "polars" and not exclude_retracted:  # polars reads the verified Parquet bytes itself
        data = verified_parquet(package, name)
        if data is not None:
            import polars as pl

            resource = package.resource(name)
            try:
                check_provenance(resource, pl.read_parquet_metadata(io.BytesIO(data)))
                return with_polars_enums(pl.read_parquet(io.BytesIO(data)), resource.schema)
            except (pl.exceptions.PolarsError, OSError) as exc:
                raise unreadable(resource, exc) from None
    table = read_arrow(package, name)
    if exclude_retracted:
        table = without_retracted(table, package, package.resource(name).schema)
    return convert(table, package.resource(name).schema, backend)


def evidence_schema_of(package: DataPackage) -> dict:
    """The Table Schema of a package's evidence table."""
    return evidence_schema({name: package.resource(name).schema for name in EVIDENCE_TABLES})


def evidence_of(package: DataPackage) -> pa.Table:
    """The evidence table of a package, in its stored schema."""
    return evidence_table({name: read_arrow(package, name) for name in EVIDENCE_TABLES}, evidence_schema_of(package))


def load(name: str, exclude_retracted: bool = False, backend: str = "pandas"):
    """One table, typed from its Table Schema: a pandas DataFrame (the default), a polars DataFrame or a
    pyarrow Table, as backend says. Enums are categoricals with the declared categories, in order.

    exclude_retracted: drop retracted studies and every row of the other tables that hangs on them
    (the vocabulary table outcome_terms is returned whole).

    Raises IntegrityError when a file does not match its recorded hash or cannot be read, ImportError
    (with the pip command) for a backend that is not installed, ValueError for an unknown one.
    """
    require(backend)
    return read_table(bundled(), name, exclude_retracted, backend)


def load_all(exclude_retracted: bool = False, backend: str = "pandas") -> dict:
    """Every table, by name, in the backend's types."""
    return {name: load(name, exclude_retracted=exclude_retracted, backend=backend) for name in tables()}


def evidence(exclude_retracted: bool = False, backend: str = "pandas"):
    """The analysis-ready table: one row per outcome, with its study (design, year, retracted, industry
    involvement), its K2 arm and comparator (agent, dose, unit, duration), its model (system, species,
    condition) and its term (label, polarity) beside it. `describe("evidence")` documents each column;
    the DuckDB view `evidence` of `connect()` is the same table."""
    require(backend)
    table = evidence_of(bundled())
    if exclude_retracted:
        table = without_retracted(table, bundled())
    return convert(table, evidence_schema_of(bundled()), backend)


class Paths(NamedTuple):
    csv: Path
    parquet: Path


def path(name: str) -> Paths:
    """Where a table's files are: its CSV (the source of truth) and its Parquet copy."""
    resource = bundled().resource(name)
    return Paths(resource.csv_path, resource.parquet_path)


def schema_of(name: str) -> dict:
    """The Table Schema of a table, or of the evidence table."""
    return evidence_schema_of(bundled()) if name == "evidence" else bundled().resource(name).schema


def pandera_schema(name: str):
    """A pandera DataFrameSchema with the column rules of a table (required, enum, pattern,
    minimum, maximum), to check a DataFrame you derived from it: ``k2data.pandera_schema("outcomes")
    .validate(frame, lazy=True)``."""
    return ts.pandera_schema(schema_of(name), name)


def describe(name: str) -> pd.DataFrame:
    """The data dictionary of a table (or of "evidence"): column, type, required, constraints,
    description, example."""
    return ts.describe(schema_of(name))
