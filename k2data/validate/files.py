"""File-level checks: the CSV can be read, its header is the schema's, hash and bytes match,
and the Parquet copy holds the same data."""
from __future__ import annotations

import csv
import io

import pandas as pd

from .. import schema as ts
from ..package import PackageError, Resource, sha256
from .report import Problem


def read_bytes(resource: Resource) -> tuple[bytes | None, list[Problem]]:
    """The raw file, or a problem saying why it cannot be read."""
    name = resource.name
    try:
        path = resource.csv_path
        return path.read_bytes(), []
    except PackageError as exc:
        return None, [Problem(name, None, None, "path", str(exc))]
    except FileNotFoundError:
        return None, [Problem(name, None, None, "file", f"file {resource.descriptor['path']} does not exist")]
    except OSError as exc:
        return None, [Problem(name, None, None, "file", f"cannot read {resource.descriptor['path']}: {exc.strerror}")]


def check_integrity(resource: Resource, data: bytes) -> list[Problem]:
    """hash and bytes recorded in datapackage.json against the file."""
    name, d, out = resource.name, resource.descriptor, []
    if "bytes" in d and d["bytes"] != len(data):
        out.append(Problem(name, None, None, "bytes",
                           f"file has {len(data)} bytes, datapackage.json records {d['bytes']}; run `k2data build`"))
    if "hash" in d:
        actual = sha256(data)
        recorded = d["hash"] if ":" in str(d["hash"]) else "md5:" + str(d["hash"])
        if recorded.split(":", 1)[0] != "sha256":
            out.append(Problem(name, None, None, "hash", f"hash {recorded!r} is not a sha256: hash"))
        elif recorded != actual:
            out.append(Problem(name, None, None, "hash",
                               "file content differs from the hash in datapackage.json; run `k2data build`"))
    return out


def decode(name: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """The file as text, or the line where it stops being UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [Problem(name, 1, None, "encoding", "file starts with a byte-order mark; save as UTF-8 without BOM")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(name, line, None, "encoding", f"byte {exc.start} is not UTF-8; save the file as UTF-8")]


def check_header(name: str, header: list[str], expected: list[str]) -> list[Problem]:
    """The header must list the schema's fields, once each, in schema order."""
    if header == expected:
        return []
    out = []
    seen = set()
    for col in header:
        if col in seen:
            out.append(Problem(name, 1, col, "header", "column appears more than once"))
        seen.add(col)
    for col in header:
        if col not in expected:
            out.append(Problem(name, 1, col, "header", "column is not in the schema"))
    for col in expected:
        if col not in header:
            out.append(Problem(name, 1, col, "header", "column is missing"))
    if not out:
        out.append(Problem(name, 1, None, "header", "columns are out of order; expected: " + ", ".join(expected)))
    return out


def ragged_rows(name: str, text: str, width: int) -> list[Problem]:
    """Rows whose number of cells differs from the header's (slow path, only for broken files)."""
    out = []
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if row and len(row) != width:
            out.append(Problem(name, number, None, "row_width", f"row has {len(row)} cells, the header has {width}"))
    return out


def read_text_table(resource: Resource, data: bytes) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The CSV as a frame of text cells, or the problems that stop it being read."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    name = resource.name
    text, problems = decode(name, data)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(name, 1, None, "header", "file is empty; it needs at least the header row")]
    header = next(csv.reader(io.StringIO(text, newline="")))
    problems = check_header(name, header, ts.field_names(resource.schema))
    if problems:
        return None, problems
    ragged = []
    table = pcsv.read_csv(
        pa.BufferReader(data),
        convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                            strings_can_be_null=False, quoted_strings_can_be_null=False),
        parse_options=pcsv.ParseOptions(invalid_row_handler=lambda row: ragged.append(row) or "skip"),
    )
    if ragged:
        return None, ragged_rows(name, text, len(header))
    return table.to_pandas(), []


def check_parquet(resource: Resource, typed: pd.DataFrame, csv_hash: str) -> list[Problem]:
    """The Parquet copy, when present, must hold exactly the CSV's rows and values."""
    import pyarrow.parquet as pq

    from ..loader import PARQUET_SOURCE_KEY

    path, name = resource.parquet_path, resource.name
    if not path.is_file():
        return []
    try:
        table = pq.read_table(path)
    except Exception as exc:  # any unreadable Parquet file is a problem to report, not a crash
        return [Problem(name, None, None, "parquet", f"{path.name} cannot be read: {exc}")]
    recorded = (table.schema.metadata or {}).get(PARQUET_SOURCE_KEY, b"").decode()
    if recorded != csv_hash:
        return [Problem(name, None, None, "parquet",
                        f"{path.name} was not built from the current CSV; run `k2data build`")]
    if table.column_names != ts.field_names(resource.schema):
        return [Problem(name, None, None, "parquet", f"{path.name} columns differ from the schema; run `k2data build`")]
    left = ts.apply_dtypes(typed.reset_index(drop=True), resource.schema, categorical=False)
    right = ts.apply_dtypes(table.to_pandas(), resource.schema, categorical=False)
    if len(left) != len(right):
        return [Problem(name, None, None, "parquet",
                        f"{path.name} has {len(right)} rows, the CSV {len(left)}; run `k2data build`")]
    differs = ~((left == right) | (left.isna() & right.isna())).all(axis=1)
    if differs.any():
        first = int(differs.to_numpy().argmax()) + 2
        return [Problem(name, first, None, "parquet",
                        f"{path.name} differs from the CSV in {int(differs.sum())} row(s), first at this row; "
                        "run `k2data build`")]
    return []
