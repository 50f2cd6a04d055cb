"""The one CSV parser: validate, build, load and diff read every table here, so they accept and
reject exactly the same cells.

A CSV is read in one pass with every cell as text, then each typed column is parsed by the grammar
of its Table Schema type (cast whole where Arrow's cast agrees with the grammar, else per distinct
value); the validator also has coded text columns dictionary-encoded. The grammar:

- integer: an optional sign and ASCII digits (``+120``, ``-3``, ``007``), within 64 bits;
- number: an optional sign, digits with an optional decimal point, an optional exponent
  (``1.5``, ``.5``, ``1e-3``); not NaN or infinity, no hexadecimal, no thousands separators;
- boolean: exactly one of the field's trueValues or falseValues (default ``true``/``false``);
- date: ``YYYY-MM-DD``, a real calendar day.

No spaces are allowed around a value of any of these types. Frictionless is the reference where it
is stricter (hexadecimal, ``1.0`` as an integer, ``True``); this grammar is stricter still on
spaces, NaN, infinity, ``1_000`` and out-of-range integers.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from . import schema as ts

BOM = b"\xef\xbb\xbf"
BLOCK_SIZE = 2 << 20  # bytes per parse block of the fast read
LARGE_BLOCK_SIZE = 16 << 20  # of the second try: rows up to this size are read
MAX_CELL_BYTES = 1 << 20  # a larger cell is reported (rule cell_size), never read
GRAMMAR = {
    "integer": r"^[+-]?[0-9]+$",
    "number": r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}
TYPE_WORDS = {"integer": "a whole number (64-bit)", "number": "a finite decimal number",
              "boolean": "true or false", "date": "a real calendar date written YYYY-MM-DD", "string": "text"}


@dataclass(frozen=True)
class CsvProblem:
    """Why a CSV cannot be read, where: row as a spreadsheet shows it (header = 1), None = whole file."""

    row: int | None
    column: str | None
    rule: str
    message: str


class ReadError(ValueError):
    """A table's CSV cannot be read or holds cells that are not values of their type."""

    def __init__(self, table: str, problems: list[CsvProblem]):
        self.table, self.problems = table, problems
        first = problems[0]
        where = "".join(f", {label} {value}" for label, value in (("row", first.row), ("column", first.column))
                        if value is not None)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"table {table!r}{where}: {first.message}{more}; run `k2data validate` for every problem")


def arrow_schema(schema: dict) -> pa.Schema:
    """The plain Arrow types of a table's columns (enums as text), as the CSV is parsed into."""
    return pa.schema([pa.field(f["name"], ts.arrow_type(f)) for f in ts.fields(schema)])


def stored_schema(schema: dict) -> pa.Schema:
    """The Arrow schema of a table as loaded and as stored in Parquet: enums dictionary-encoded over
    their declared categories, and each field's description and categories in its metadata, so that
    DuckDB, polars and R's arrow see them too."""
    def metadata(field: dict) -> dict[bytes, bytes]:
        out = {b"description": field.get("description", "").encode("utf-8")}
        if ts.categories(field) is not None:
            out[b"categories"] = json.dumps(ts.categories(field), ensure_ascii=False).encode("utf-8")
        return out

    return pa.schema([pa.field(f["name"], ts.arrow_type(f, encoded=True), metadata=metadata(f))
                      for f in ts.fields(schema)])


def with_categories(table: pa.Table, schema: dict, stored: pa.Schema | None = None, *, name: str) -> pa.Table:
    """The table in its stored schema: each enum column encoded over its declared categories, in
    declared order. A value that is not one of them raises ReadError naming the table (name), the row
    as a CSV counts it and the column, for every such cell."""
    arrays, outside = [], []
    for field in ts.fields(schema):
        column = table[field["name"]]
        declared = ts.categories(field)
        if declared is not None and not (pa.types.is_dictionary(column.type) and all(
                chunk.dictionary.to_pylist() == declared for chunk in column.chunks)):  # not already so
            values = column.cast(pa.string())
            indices = pc.index_in(values, value_set=pa.array(declared))
            outside += [CsvProblem(int(index) + 2, field["name"], "enum", f"{values[int(index)].as_py()!r} is not "
                                   f"one of: {', '.join(declared)}")
                        for index in np.flatnonzero(cell_mask(pc.and_(pc.is_valid(values), pc.is_null(indices))))]
            column = pa.chunked_array([pa.DictionaryArray.from_arrays(chunk.cast(pa.int32()), pa.array(declared))
                                       for chunk in indices.chunks], pa.dictionary(pa.int32(), pa.string()))
        arrays.append(column)
    if outside:
        raise ReadError(name, outside)
    return pa.Table.from_arrays(arrays, schema=stored or stored_schema(schema))


def coded(field: dict, schema: dict) -> bool:
    """A text column whose values come from a small set (an enum, a pattern, a reference), other than a
    single-column primary key: worth dictionary-encoding for checks that look at each distinct value once."""
    c = ts.constraints(field)
    return field["type"] == "string" and [field["name"]] != ts.primary_key(schema) and \
        ("enum" in c or "pattern" in c or field["name"] in {column for column, _, _ in ts.foreign_keys(schema)})


def header_of(data) -> list[str] | None:
    """The header row's cells, or None for an empty file."""
    end = data.find(b"\n")
    first = bytes(data[: end if end >= 0 else len(data)]).decode("utf-8", errors="replace").rstrip("\r")
    try:  # a stray carriage return ends the row, as it does for the Arrow reader
        return next(csv.reader(io.StringIO(first, newline="")), None) if first.strip() else None
    except csv.Error:
        return [first]


def check_encoding(data) -> list[CsvProblem]:
    """UTF-8 without a byte-order mark (decoded in blocks: no copy of a large file is made)."""
    if data[:3] == BOM:
        return [CsvProblem(1, None, "encoding", "file starts with a byte-order mark; save as UTF-8 without BOM")]
    decoder, step = codecs.getincrementaldecoder("utf-8")(), 1 << 24
    for start in range(0, len(data), step):
        try:
            decoder.decode(data[start:start + step], final=start + step >= len(data))
        except UnicodeDecodeError as exc:
            at = start + exc.start
            line = bytes(data[:at]).count(b"\n") + 1
            return [CsvProblem(line, None, "encoding", f"byte {at} is not UTF-8; save the file as UTF-8")]
    return []


def check_header(header: list[str] | None, expected: list[str]) -> list[CsvProblem]:
    """The header must list the schema's fields, once each, in schema order."""
    if header is None:
        return [CsvProblem(1, None, "header", "file is empty; it needs at least the header row")]
    if header == expected:
        return []
    if len(header) == 1 and len(expected) > 1:
        for name, sep in (("semicolons", ";"), ("tabs", "\t"), ("pipes", "|")):
            if sep in header[0]:
                return [CsvProblem(1, None, "header", f"the header is separated by {name}, not commas; "
                                                      "save the file as comma-separated CSV")]
    out, seen = [], set()
    for col in header:
        if col in seen:
            out.append(CsvProblem(1, col, "header", "column appears more than once"))
        seen.add(col)
        if col not in expected:
            out.append(CsvProblem(1, col or None, "header",
                                  "column has no name" if not col else "column is not in the schema"))
    out += [CsvProblem(1, col, "header", "column is missing") for col in expected if col not in header]
    if not out:
        out.append(CsvProblem(1, None, "header", "columns are out of order; expected: " + ", ".join(expected)))
    return out


def scan_rows(data, names: list[str]) -> list[CsvProblem]:
    """Rows of the wrong width and cells too large to read (slow path, only for files Arrow cannot read)."""
    out, width = [], len(names)
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(str(data, "utf-8"), newline=""))
    rows = iter(reader)
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            out.append(CsvProblem(number + 1, None, "row_width", f"the row cannot be split into cells ({exc})"))
            break
        number += 1
        if row and len(row) != width:
            out.append(CsvProblem(number, None, "row_width", f"row has {len(row)} cells, the header has {width}"))
        for index, cell in enumerate(row):
            size = len(cell.encode("utf-8"))
            if size > MAX_CELL_BYTES:
                out.append(CsvProblem(number, names[index] if index < width else None, "cell_size",
                                      f"cell holds {size:,} bytes; the limit is {MAX_CELL_BYTES:,}"))
    return out


def byte_view(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes and the offsets of a string array (numpy views of its buffers, no copy)."""
    _, offsets, data = values.buffers()
    offsets = np.frombuffer(offsets, np.int32)[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return data, offsets


def oversized_cells(cells: pa.Table) -> list[CsvProblem]:
    """Cells larger than MAX_CELL_BYTES. A column none of whose chunks holds that many bytes in all is
    passed over; otherwise one length kernel runs, and rows are walked only if a cell is larger."""
    out = []
    for name, column in zip(cells.column_names, cells.columns):
        if max((chunk.get_total_buffer_size() for chunk in column.chunks), default=0) <= MAX_CELL_BYTES or \
                (pc.max(pc.binary_length(column)).as_py() or 0) <= MAX_CELL_BYTES:
            continue
        for index, value in enumerate(column.to_pylist()):
            if value is not None and len(value.encode("utf-8")) > MAX_CELL_BYTES:
                out.append(CsvProblem(index + 2, name, "cell_size",
                                      f"cell holds {len(value.encode('utf-8')):,} bytes; the limit is {MAX_CELL_BYTES:,}"))
    return out


def read_cells(data, schema: dict) -> tuple[pa.Table | None, list[CsvProblem]]:
    """Every cell as text, missing values as nulls: (table, []) or (None, why it cannot be read)."""
    names = ts.field_names(schema)
    problems = check_header(header_of(data), names)
    if data[:3] == BOM or problems:
        return None, check_encoding(data) or problems
    convert = pcsv.ConvertOptions(column_types={name: pa.string() for name in names}, include_columns=names,
                                  null_values=schema.get("missingValues", [""]), strings_can_be_null=True,
                                  quoted_strings_can_be_null=True)
    table = None
    # Small blocks read fastest; a row longer than a block, or a line break inside quotes, needs the
    # slower settings, tried only when the fast ones fail.
    for block, newlines in ((BLOCK_SIZE, False), (LARGE_BLOCK_SIZE, True)):
        try:
            table = pcsv.read_csv(pa.BufferReader(data), read_options=pcsv.ReadOptions(block_size=block),
                                  parse_options=pcsv.ParseOptions(newlines_in_values=newlines), convert_options=convert)
            break
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowKeyError, pa.ArrowNotImplementedError):
            continue
    if table is None:
        problems = check_encoding(data) or scan_rows(data, names)
        if not problems:
            problems = [CsvProblem(None, None, "row_width", "the CSV cannot be split into rows and cells "
                                                            "(check quotes and line ends)")]
        return None, problems
    return table, []


def cast_each(values: pa.Array, to: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """values cast to type to, and a mask of the values that cast; one by one only if the whole fails."""
    try:
        return pc.cast(values, to), pc.is_valid(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        cast, ok = [], []
        for value in values.to_pylist():
            try:
                cast.append(None if value is None else pa.scalar(value).cast(to).as_py())
                ok.append(value is not None)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                cast.append(None)
                ok.append(False)
        return pa.array(cast, to), pa.array(ok, pa.bool_())


def one_of(values: pa.Array | pa.ChunkedArray, texts: list[str]):
    """Mask of the values equal to one of texts (a plain comparison when there is one)."""
    return pc.equal(values, texts[0]) if len(texts) == 1 else pc.is_in(values, value_set=pa.array(texts))


def parse_values(values: pa.Array | pa.ChunkedArray, field: dict) -> tuple[pa.Array, pa.Array]:
    """Distinct text values of one field parsed into its type, and a mask of those that are values of it."""
    kind = field["type"]
    if kind == "boolean":
        is_true, is_false = (one_of(values, field.get(key, [default]))
                             for key, default in (("trueValues", "true"), ("falseValues", "false")))
        ok = pc.fill_null(pc.or_(is_true, is_false), False)
        return pc.if_else(ok, is_true, None), ok
    grammar = pc.match_substring_regex(values, GRAMMAR[kind])
    text = pc.if_else(grammar, values, None)
    if kind == "integer":
        text = pc.replace_substring_regex(text, r"^\+", "")  # Arrow reads no leading plus
    typed, cast = cast_each(text, ts.arrow_type(field))
    ok = pc.and_(grammar, cast)
    if kind == "number":
        ok = pc.and_(ok, pc.is_finite(typed))
    return pc.if_else(ok, typed, None), pc.fill_null(ok, False)


def holds_byte(column: pa.Array | pa.ChunkedArray, wanted: bytes) -> bool:
    """Whether any value of a string column holds one of the wanted bytes (a scan of the raw buffers)."""
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        data, offsets = byte_view(chunk)
        if np.isin(data[offsets[0]:offsets[-1]], np.frombuffer(wanted, np.uint8)).any():
            return True
    return False


def encoded(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A text column dictionary-encoded as one array over one dictionary (chunks are encoded first,
    then their dictionaries unified: cheaper than encoding the combined column)."""
    if isinstance(column, pa.Array):
        return column.dictionary_encode()
    return pa.table({"x": column.dictionary_encode()}).unify_dictionaries()["x"].combine_chunks()


def parse_column(column: pa.Array | pa.ChunkedArray, field: dict) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | None]:
    """One typed column parsed from its text, and a mask of the cells that are not values of its type
    (None when every cell is).

    A boolean column is compared with its true and false texts. Any other column is cast whole when
    it can be: Arrow's cast takes no spaces and no exponent for integers, so it agrees with the grammar
    except on hexadecimal integers and non-finite numbers, which send the column to the slow path. The
    slow path parses each distinct value by the grammar (parse_values); both paths give the same answer
    for every cell.
    """
    kind, to = field["type"], ts.arrow_type(field)
    if column.null_count == len(column):
        return pa.nulls(len(column), to), None
    if kind == "boolean":  # compared with its true and false texts: cheaper than encoding the column
        typed, ok = parse_values(column, field)
        wrong = pc.and_(pc.is_valid(column), pc.invert(ok))
        return typed, wrong if pc.any(wrong).as_py() else None
    try:
        typed = pc.cast(column, to)
        lax = (kind == "integer" and holds_byte(column, b"xX")) or \
              (kind == "number" and not pc.all(pc.is_finite(typed)).as_py())
        if not lax:
            return typed, None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    codes = encoded(column)
    typed, ok = parse_values(codes.dictionary, field)
    wrong = pc.and_(pc.is_valid(codes.indices), pc.invert(pc.take(ok, codes.indices)))
    return pc.take(typed, codes.indices), wrong if pc.any(wrong).as_py() else None


def parse_field(column: pa.ChunkedArray, field: dict, schema: dict,
                encode: bool = False) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | None]:
    """One column of a table in its declared type, and a mask of its cells that are not values of that
    type (None when every cell is). encode: a coded text column comes back dictionary-encoded."""
    if field["type"] != "string":
        return parse_column(column, field)
    return (encoded(column) if encode and coded(field, schema) else column), None


def cell_mask(wrong: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A mask of wrong cells (parse_field's) as a numpy array, nulls as False."""
    return pc.fill_null(wrong, False).to_numpy(zero_copy_only=False)


def parse(cells: pa.Table, schema: dict) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """The table with each column in its declared type, and for each column with a cell that is not a
    value of its type, a mask of those cells (they become null)."""
    fields = ts.fields(schema)
    parsed = [parse_field(cells[f["name"]], f, schema) for f in fields]
    bad = {f["name"]: cell_mask(wrong) for f, (_, wrong) in zip(fields, parsed) if wrong is not None}
    return pa.Table.from_arrays([typed for typed, _ in parsed], names=ts.field_names(schema)), bad


def type_problems(cells: pa.ChunkedArray, bad: np.ndarray, field: dict) -> list[CsvProblem]:
    """One problem per cell of a column that is not a value of its type (bad: parse_field's mask)."""
    out = []
    for index in np.flatnonzero(bad):
        text = str(cells[int(index)].as_py())
        shown = repr(text if len(text) <= 60 else text[:57] + "...")
        out.append(CsvProblem(int(index) + 2, field["name"], "type",
                              f"{shown} is not {TYPE_WORDS.get(field['type'], field['type'])}"))
    return out


def read_typed(data, schema: dict, table: str) -> pa.Table:
    """The CSV with every column in its declared type, in the stored schema (enums encoded over their
    categories).

    Raises ReadError, naming the table, row and column, when the file cannot be read or a cell is not a
    value of its type."""
    cells, problems = read_cells(data, schema)
    if cells is None or oversized_cells(cells):
        raise ReadError(table, problems or oversized_cells(cells))
    typed, bad = parse(cells, schema)
    if bad:
        raise ReadError(table, [problem for f in ts.fields(schema) if f["name"] in bad
                                for problem in type_problems(cells[f["name"]], bad[f["name"]], f)])
    return with_categories(typed.cast(arrow_schema(schema)), schema, name=table)
