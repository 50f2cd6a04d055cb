"""Read a table's CSV into Arrow: typed in one pass, or as text to find the cells that do not parse.

The loader, `k2data build` and the validator all read CSVs here, so Parquet built from a CSV and the
CSV read again hold the same values by construction.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from . import schema as ts


def arrow_schema(schema: dict, encode_text: bool = False) -> pa.Schema:
    """The Arrow types of a table's columns; with encode_text, text columns other than a
    single-column primary key are dictionary-encoded (each distinct value stored once)."""
    key = ts.primary_key(schema)

    def arrow_type(field: dict) -> pa.DataType:
        kind = ts.arrow_type(field)
        if encode_text and kind == pa.string() and [field["name"]] != key:
            return pa.dictionary(pa.int32(), pa.string())
        return kind

    return pa.schema([pa.field(f["name"], arrow_type(f)) for f in ts.fields(schema)])


def read_typed(data, schema: dict, encode_text: bool = False) -> pa.Table | None:
    """The CSV (bytes or any buffer) with every column in its declared type; None when any cell does
    not parse. encode_text reads text columns dictionary-encoded, as arrow_schema says, each as one
    array over one dictionary."""
    fields = ts.fields(schema)
    truthy = sorted({v for f in fields if f["type"] == "boolean" for v in f.get("trueValues", ["true"])})
    falsy = sorted({v for f in fields if f["type"] == "boolean" for v in f.get("falseValues", ["false"])})
    options = pcsv.ConvertOptions(
        column_types=arrow_schema(schema, encode_text), include_columns=ts.field_names(schema),
        null_values=schema.get("missingValues", [""]), strings_can_be_null=True, quoted_strings_can_be_null=True,
        true_values=truthy or ["true"], false_values=falsy or ["false"])
    try:
        table = pcsv.read_csv(pa.BufferReader(data), convert_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    for field in fields:
        if field["type"] == "number":
            column = table[field["name"]]
            if pc.any(pc.invert(pc.is_finite(column))).as_py():  # 'nan' and 'inf' parse but are not numbers
                return None
    if encode_text:
        table = table.unify_dictionaries()
        table = pa.Table.from_arrays([column.combine_chunks() if pa.types.is_dictionary(column.type) else column
                                      for column in table.columns], schema=table.schema)
    return table


def read_text(data: bytes, names: list[str]) -> tuple[pa.Table, int]:
    """Every cell as text, exactly as written; also the number of rows of the wrong width (skipped)."""
    ragged = []
    table = pcsv.read_csv(
        pa.BufferReader(data),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                            strings_can_be_null=False, quoted_strings_can_be_null=False),
        parse_options=pcsv.ParseOptions(invalid_row_handler=lambda row: ragged.append(row) or "skip"),
    )
    return table, len(ragged)


def typed_from_text(text: pa.Table, schema: dict) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Parse text cells one column at a time; cells that do not parse become null and are flagged."""
    missing = schema.get("missingValues", [""])
    arrays, bad = [], {}
    for field in ts.fields(schema):
        raw = pd.Series(text[field["name"]].to_numpy(zero_copy_only=False), dtype="str")
        values, mask = ts.parse_column(raw, field, missing)
        arrays.append(pa.array(values, from_pandas=True).cast(ts.arrow_type(field)))
        bad[field["name"]] = mask.to_numpy(dtype=bool)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(schema)), bad
