"""`k2data build`: write tables/*.parquet from the CSVs; record each CSV's hash and bytes and each
Parquet file's hash in datapackage.json."""
from __future__ import annotations

import json
from pathlib import Path

from .descriptor import check
from .package import PARQUET_HASH, DataPackage, PackageError, provenance, sha256
from .read import read_typed


def build(path: str | Path | None = None) -> list[str]:
    """Rebuild every table's Parquet file and refresh hash/bytes in datapackage.json.

    Every table is read first, with the parser validate and load use; if any cannot be read, or holds a
    cell that is not a value of its type, ReadError names the table, row and column and nothing is
    written. Returns the names of the tables built.
    """
    import pyarrow.parquet as pq

    package = DataPackage(path)
    package.refuse_if_installed("build")
    problems, _ = check(package, {})
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        p = problems[0]
        raise PackageError(f"{p.table}:-:{p.column or ''}: {p.message}{more}; fix the descriptor or schema, then build")
    built = {}
    for name, resource in package.resources.items():
        data = resource.csv_path.read_bytes()
        built[name] = (sha256(data), len(data), read_typed(data, resource.schema, name))
    for name, (digest, size, table) in built.items():
        resource = package.resources[name]
        pq.write_table(table.replace_schema_metadata(provenance(digest, resource)), resource.parquet_path)
        resource.descriptor.update({"hash": digest, "bytes": size,
                                    PARQUET_HASH: sha256(resource.parquet_path.read_bytes())})
    package.descriptor_path.write_text(json.dumps(package.descriptor, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return list(package.resources)
