"""The loader: k2data.tables(), load(), load_all(), describe()."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from . import schema as ts
from .package import PARQUET_SOURCE_KEY, DataPackage, Resource, sha256

@lru_cache(maxsize=1)
def bundled() -> DataPackage:
    """The data package shipped with k2data (read once)."""
    return DataPackage()


def tables() -> list[str]:
    """Names of the tables, in package order."""
    return list(bundled().resources)


def parquet_is_current(resource: Resource) -> bool:
    """True when the Parquet file was built from the CSV as it is now (its hash is recorded inside)."""
    import pyarrow.parquet as pq

    if not resource.parquet_path.is_file():
        return False
    metadata = pq.read_schema(resource.parquet_path).metadata or {}
    return metadata.get(PARQUET_SOURCE_KEY, b"").decode() == sha256(resource.csv_path.read_bytes())


def read_table(resource: Resource) -> pd.DataFrame:
    """A table with declared dtypes: from Parquet when it was built from the current CSV, else the CSV."""
    schema = resource.schema
    if parquet_is_current(resource):
        import pyarrow.parquet as pq

        table = pq.read_table(resource.parquet_path)
    else:
        from .read import read_typed

        table = read_typed(resource.csv_path.read_bytes(), schema)
        if table is None:
            raise ValueError(f"table {resource.name!r} has values that do not parse; "
                             "run `k2data validate` for details")
    return ts.apply_dtypes(table.to_pandas(), schema)


def load(name: str, exclude_retracted: bool = False) -> pd.DataFrame:
    """One table as a typed DataFrame.

    exclude_retracted: drop retracted studies and every row of the other tables that hangs on them
    (the vocabulary table outcome_terms is returned whole).
    """
    package = bundled()
    frame = read_table(package.resource(name))
    if exclude_retracted and "study_id" in frame.columns:  # a vocabulary table hangs on no study
        studies = frame if name == "studies" else read_table(package.resource("studies"))
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
