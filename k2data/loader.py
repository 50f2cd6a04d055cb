"""The loader: k2data.tables(), load(), load_all(), describe().

Every file that load reads is first checked against its recorded hash (datapackage.json's `hash` for
a CSV, the `k2data:parquet_hash` that `k2data build` wrote for a Parquet file); a mismatch or an
unreadable file raises IntegrityError and no data are returned.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from . import schema as ts
from .package import (PARQUET_HASH, DataPackage, IntegrityError, PackageError, Resource, built_from, is_installed,
                      sha256)


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


def remedy(resource: Resource) -> str:
    if is_installed(resource.root):
        return "the installed data were changed or damaged; reinstall k2data (pip install --force-reinstall k2data)"
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


def read_table(package: DataPackage, name: str) -> pd.DataFrame:
    """A table with declared dtypes, from its Parquet copy when `k2data build` recorded one for the
    current CSV, else from the CSV; every file read is checked against its recorded hash."""
    from .read import arrow_schema, read_typed

    resource = package.resource(name)
    if name in unusable_schemas(package):
        raise PackageError(f"table {name!r}: its Table Schema cannot be used: {unusable_schemas(package)[name]}; "
                           "run `k2data validate`")
    schema = resource.schema
    csv_data = verified(resource, resource.csv_path, resource.descriptor.get("hash"), "hash")
    recorded = resource.descriptor.get(PARQUET_HASH)
    if resource.parquet_path.is_file() and recorded is not None:
        import pyarrow.parquet as pq

        data = verified(resource, resource.parquet_path, recorded, "Parquet hash")
        try:
            table = pq.read_table(pa.BufferReader(data))
        except (pa.ArrowException, OSError) as exc:
            raise IntegrityError(f"table {resource.name!r}: {resource.parquet_path.name} cannot be read ({exc}); "
                                 f"{remedy(resource)}") from None
        if not built_from(table.schema.metadata, resource.descriptor["hash"], schema) \
                or table.schema.remove_metadata() != arrow_schema(schema):
            raise IntegrityError(f"table {resource.name!r}: {resource.parquet_path.name} was not built from the "
                                 f"current CSV or schema; {remedy(resource)}")
    else:
        table = read_typed(csv_data, schema, resource.name)
    return ts.apply_dtypes(table.to_pandas(), schema)


def load(name: str, exclude_retracted: bool = False) -> pd.DataFrame:
    """One table as a typed DataFrame.

    exclude_retracted: drop retracted studies and every row of the other tables that hangs on them
    (the vocabulary table outcome_terms is returned whole).

    Raises IntegrityError when a file does not match its recorded hash or cannot be read.
    """
    package = bundled()
    frame = read_table(package, name)
    if exclude_retracted and "study_id" in frame.columns:  # a vocabulary table hangs on no study
        studies = frame if name == "studies" else read_table(package, "studies")
        retracted = studies.loc[studies["retracted"].fillna(False).astype(bool), "study_id"]
        frame = frame[~frame["study_id"].isin(retracted)].reset_index(drop=True)
    return frame


def load_all(exclude_retracted: bool = False) -> dict[str, pd.DataFrame]:
    """Every table, by name."""
    return {name: load(name, exclude_retracted=exclude_retracted) for name in tables()}


def pandera_schema(name: str):
    """A pandera DataFrameSchema with the column rules of a table (required, enum, pattern,
    minimum, maximum), to check a DataFrame you derived from it: ``k2data.pandera_schema("outcomes")
    .validate(frame, lazy=True)``."""
    return ts.pandera_schema(bundled().resource(name).schema, name)


def describe(name: str) -> pd.DataFrame:
    """The data dictionary of a table: column, type, required, constraints, description, example."""
    return ts.describe(bundled().resource(name).schema)
