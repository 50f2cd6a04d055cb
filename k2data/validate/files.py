"""File-level checks: the CSV can be mapped, hash and bytes match datapackage.json, and the Parquet
copy holds the same data. (Whether a CSV can be read at all is k2data.read's to say.)"""
from __future__ import annotations

import mmap
import os
from concurrent.futures import Future

import pyarrow as pa

from .. import schema as ts
from ..package import PARQUET_HASH, PackageError, Resource, built_from, sha256, size_differs
from ..read import arrow_schema, stored_schema
from .report import Problem


def map_csv(resource: Resource) -> tuple[bytes | mmap.mmap | None, list[Problem]]:
    """The raw file, memory-mapped (no copy of a large file is made), or a problem saying why it
    cannot be read."""
    name = resource.name
    try:
        with open(resource.csv_path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return (mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""), []
    except PackageError as exc:
        return None, [Problem(name, None, None, "path", str(exc))]
    except FileNotFoundError:
        return None, [Problem(name, None, None, "file", f"file {resource.descriptor['path']} does not exist")]
    except OSError as exc:
        return None, [Problem(name, None, None, "file", f"cannot read {resource.descriptor['path']}: {exc.strerror}")]


def check_integrity(resource: Resource, size: int, digest: str) -> list[Problem]:
    """bytes and hash recorded in datapackage.json against the file's size and sha256."""
    name, d, out = resource.name, resource.descriptor, []
    if size_differs(d, size):
        out.append(Problem(name, None, None, "bytes",
                           f"file has {size} bytes, datapackage.json records {d['bytes']}; run `k2data build`"))
    if "hash" in d:
        recorded = str(d["hash"])
        if not recorded.startswith("sha256:"):
            out.append(Problem(name, None, None, "hash", f"hash {recorded!r} is not a 'sha256:' hash"))
        elif recorded != digest:
            out.append(Problem(name, None, None, "hash",
                               "file content differs from the hash in datapackage.json; run `k2data build`"))
    return out


def read_parquet(resource: Resource, csv_digest: str) -> tuple[pa.Table | None, str | None]:
    """The Parquet copy to compare with the CSV, or why it cannot be read; (None, None) when there is
    none, or when it is byte for byte the file `k2data build` wrote from this very CSV."""
    import pyarrow.parquet as pq

    path = resource.parquet_path
    if not path.is_file():
        return None, None
    try:
        raw = path.read_bytes()  # read once: hashed, then its schema and table parsed from memory
        if sha256(raw) == resource.descriptor.get(PARQUET_HASH) and \
                built_from(pq.read_schema(pa.BufferReader(raw)).metadata, csv_digest, resource):
            return None, None
        table = pq.read_table(pa.BufferReader(raw))
        table.validate(full=True)  # a damaged file may read, holding text that is not UTF-8 or bad indices
        return table, None
    except Exception as exc:  # any unreadable Parquet file is a problem to report, not a crash
        return None, str(exc)


def check_parquet(resource: Resource, typed: pa.Table, digest: str, parquet: Future) -> list[Problem]:
    """The Parquet copy, when present, must be built from this CSV and hold exactly its values
    (parquet: read_parquet's answer, being read in another thread)."""
    path, name = resource.parquet_path, resource.name
    table, error = parquet.result()
    if error is not None:
        return [Problem(name, None, None, "parquet", f"{path.name} cannot be read: {error}")]
    if table is None:
        return []
    if not built_from(table.schema.metadata, digest, resource):
        return [Problem(name, None, None, "parquet",
                        f"{path.name} was not built from the current CSV and schema; run `k2data build`")]
    if table.schema.remove_metadata() != stored_schema(resource.schema):
        return [Problem(name, None, None, "parquet", f"{path.name} columns differ from the schema; run `k2data build`")]
    if table.num_rows != typed.num_rows:
        return [Problem(name, None, None, "parquet",
                        f"{path.name} has {table.num_rows} rows, the CSV {typed.num_rows}; run `k2data build`")]
    expected = arrow_schema(resource.schema)  # compared as plain values: encodings differ
    typed = typed.cast(expected)
    if table.cast(expected).equals(typed):
        return []
    left = ts.apply_dtypes(typed.to_pandas(), resource.schema, categorical=False)
    right = ts.apply_dtypes(table.to_pandas(), resource.schema, categorical=False)
    differs = ~((left == right) | (left.isna() & right.isna())).all(axis=1)
    return [Problem(name, int(differs.to_numpy().argmax()) + 2, None, "parquet",
                    f"{path.name} differs from the CSV in {int(differs.sum())} row(s), first at this row; "
                    "run `k2data build`")]
