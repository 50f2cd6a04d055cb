"""`k2data build`: write tables/*.parquet from the CSVs; record each CSV's hash and bytes and each
Parquet file's hash in datapackage.json."""
from __future__ import annotations

import json
from pathlib import Path

from .package import PARQUET_HASH, PARQUET_SOURCE_KEY, DataPackage, Resource, sha256
from .read import read_typed


class BuildError(ValueError):
    """The CSVs cannot be built into Parquet (values of the wrong type)."""


def write_parquet(resource: Resource, data: bytes, csv_hash: str) -> None:
    """Write the typed table to tables/NAME.parquet, recording the hash of the CSV it came from."""
    import pyarrow.parquet as pq

    table = read_typed(data, resource.schema)
    if table is None:
        raise BuildError(f"{resource.name}: some values do not parse; run `k2data validate` for details")
    pq.write_table(table.replace_schema_metadata({PARQUET_SOURCE_KEY: csv_hash}), resource.parquet_path)


def build(path: str | Path | None = None) -> list[str]:
    """Rebuild every table's Parquet file and refresh hash/bytes in datapackage.json.

    Returns the names of the tables built.
    """
    package = DataPackage(path)
    for resource in package.resources.values():
        data = resource.csv_path.read_bytes()
        resource.descriptor["hash"] = sha256(data)
        resource.descriptor["bytes"] = len(data)
        write_parquet(resource, data, resource.descriptor["hash"])
        resource.descriptor[PARQUET_HASH] = sha256(resource.parquet_path.read_bytes())
    package.descriptor_path.write_text(json.dumps(package.descriptor, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return list(package.resources)
