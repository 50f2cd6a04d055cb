"""`k2data build`: write tables/*.parquet from the CSVs and record each CSV's hash and bytes."""
from __future__ import annotations

import json
from pathlib import Path

from . import schema as ts
from .loader import PARQUET_SOURCE_KEY, parse, read_csv_text
from .package import DataPackage, Resource, sha256


class BuildError(ValueError):
    """The CSVs cannot be built into Parquet (values of the wrong type)."""


def write_parquet(resource: Resource, csv_hash: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = resource.schema
    typed, bad = parse(read_csv_text(resource), schema)
    broken = [name for name, mask in bad.items() if mask.any()]
    if broken:
        raise BuildError(f"{resource.name}: values of the wrong type in {', '.join(broken)}; "
                         "run `k2data validate` for details")
    arrays, arrow_fields = [], []
    for field in ts.fields(schema):
        kind = ts.arrow_type(field)
        arrays.append(pa.array(typed[field["name"]], from_pandas=True).cast(kind))
        arrow_fields.append(pa.field(field["name"], kind))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(arrow_fields, metadata={PARQUET_SOURCE_KEY: csv_hash}))
    pq.write_table(table, resource.parquet_path)


def build(path: str | Path | None = None) -> list[str]:
    """Rebuild every table's Parquet file and refresh hash/bytes in datapackage.json.

    Returns the names of the tables built.
    """
    package = DataPackage(path)
    for resource in package.resources.values():
        data = resource.csv_path.read_bytes()
        resource.descriptor["hash"] = sha256(data)
        resource.descriptor["bytes"] = len(data)
        write_parquet(resource, resource.descriptor["hash"])
    package.descriptor_path.write_text(json.dumps(package.descriptor, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return list(package.resources)
