"""Checks derived from the Table Schemas, run on Arrow columns: required, enum, pattern,
minimum/maximum, text hazards (whitespace, spreadsheet formulas, control, bidi and zero-width
characters), primary and foreign keys. Types are checked where the CSV is parsed (k2data.read).

Each check first looks at whole columns (null counts, distinct values) and only walks rows when
something is wrong, so valid tables are checked at the speed of Arrow.
"""
from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema as ts
from ..read import byte_view
from .report import Problem
from .words import fingerprints

FORMULA_START = pa.array(list("=+-@\uff1d\uff0b\uff0d\uff20"))  # and their full-width forms
SPACES = pa.array(list(" \t\n\r\f\v"))
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"  # tab, newline and carriage return are allowed
BIDI = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}]"  # embeddings, overrides and isolates
ZERO_WIDTH = r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}]"
INVISIBLE = f"{CONTROL}|{BIDI}|{ZERO_WIDTH}"


def row_number(index) -> int:
    """Spreadsheet row of a 0-based data index (the header is row 1)."""
    return int(index) + 2


def show(value) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def rows_where(mask) -> np.ndarray:
    """0-based indices where an Arrow boolean mask is true (nulls count as false)."""
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def outside(column: pa.ChunkedArray, allowed: pa.Array):
    """Mask of the non-null cells whose value is not in allowed."""
    return pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=allowed)))


def byte_table(characters: bytes) -> np.ndarray:
    """A lookup table over the 256 byte values: True for the given bytes."""
    table = np.zeros(256, bool)
    table[np.frombuffer(characters, np.uint8)] = True
    return table


MAY_START_HAZARD = byte_table(b" \t\n\r\f\v=+-@\xef")  # 0xEF starts the full-width formula leaders
MAY_END_HAZARD = byte_table(b" \t\n\r\f\v")
CONTROL_BYTE = byte_table(bytes(range(0x20)).translate(None, b"\t\n\r"))  # tab and line breaks are allowed


def may_hold_hazards(values: pa.Array) -> tuple[bool, bool]:
    """Cheap gates over the raw bytes: (whether a first or last character may be a space or a formula
    leader, whether any character may be invisible). False means certainly not.

    The first byte of every value is looked up (an empty value's position holds the next value's first
    byte, or the buffer's last one: at worst a needless exact check), then the last; the invisible
    gate asks only for the smallest and largest byte unless a control byte is present."""
    data, offsets = byte_view(values)
    used = data[offsets[0]:offsets[-1]]
    if not len(used):
        return False, False
    edge = bool(MAY_START_HAZARD[np.take(data, offsets[:-1], mode="clip")].any() or
                MAY_END_HAZARD[data[offsets[1:] - 1]].any())
    invisible = bool(used.max() >= 0x7F or (used.min() < 0x20 and CONTROL_BYTE[used].any()))
    return edge, invisible


def text_hazards(values: pa.Array, identifier: bool) -> list[tuple[str, pa.Array, str]]:
    """The text-hazard rules as (rule, mask over values, message), or [] when none can fail.

    Gates over the raw bytes rule out most columns at once (no space or formula leader at an edge,
    only ASCII without control characters); what they cannot rule out is checked exactly, from the
    first and last character and by expression. Zero-width characters count only in identifiers
    (keys and patterned codes), where they hide a mismatch; in prose they can be legitimate.
    """
    gates = [may_hold_hazards(chunk) for chunk in (values.chunks if isinstance(values, pa.ChunkedArray) else [values])]
    edge, invisible = any(g[0] for g in gates), any(g[1] for g in gates)
    if not (edge or invisible):
        return []
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    out = []
    if edge:
        first, last = pc.utf8_slice_codeunits(values, 0, 1), pc.utf8_slice_codeunits(values, -1)
        space = pc.or_(pc.is_in(first, value_set=SPACES), pc.is_in(last, value_set=SPACES))
        formula = pc.is_in(first, value_set=FORMULA_START)
        if pc.any(pc.or_(space, formula)).as_py():
            out += [("whitespace", space, "has spaces or line breaks at its start or end"),
                    ("formula", formula, "starts with = + - or @ (or a full-width form), which a spreadsheet runs "
                                         "as a formula")]
    if invisible and pc.any(pc.match_substring_regex(values, INVISIBLE)).as_py():
        out += [("control_character", pc.match_substring_regex(values, CONTROL),
                 "holds a control character (only tab and line breaks are allowed)"),
                ("bidi_control", pc.match_substring_regex(values, BIDI),
                 "holds a bidirectional embedding, override or isolate character, which reorders what is shown")]
        if identifier:
            out.append(("zero_width", pc.match_substring_regex(values, ZERO_WIDTH),
                        "holds a zero-width character, invisible in an identifier"))
    return out


def plain(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The values themselves, decoded when dictionary-encoded (Arrow value sets must be plain)."""
    return values.cast(values.type.value_type) if pa.types.is_dictionary(values.type) else values


def narrowed(wanted: pa.Array, keys: pa.ChunkedArray, *columns: pa.ChunkedArray) -> tuple[pa.ChunkedArray, ...]:
    """keys, and the other columns of the same rows, limited to the rows whose key is wanted, when fewer values
    are wanted than there are keys: a value set is then built of the few wanted values instead of every key
    (a few links into a million outcome ids). Row order, hence the first match of a key, is kept."""
    if len(wanted) >= len(keys):
        return (keys, *columns)
    if not len(wanted):  # nothing is looked up (an empty table refers to a large one)
        return tuple(column.slice(0, 0) for column in (keys, *columns))
    keep = pc.is_in(keys, value_set=wanted)
    return tuple(column.filter(keep) for column in (keys, *columns))


def distinct_values(column: pa.ChunkedArray) -> pa.Array:
    """The distinct non-null values of a text column; a dictionary-encoded column already holds them in
    its chunks' dictionaries."""
    if pa.types.is_dictionary(column.type):
        return pc.unique(pa.chunked_array([chunk.dictionary for chunk in column.chunks], column.type.value_type))
    return pc.unique(column.drop_null())


def all_distinct(column: pa.ChunkedArray) -> bool:
    """Whether no non-null value of a column repeats.

    Distinct fingerprints prove distinct values, and sorting a million 64-bit numbers is cheaper than
    hashing a million strings; only when two fingerprints agree (a repeat, or rarely a collision) is
    the answer asked of Arrow's hash table."""
    values = column.drop_null()
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if len(values) < 2:
        return True
    prints = fingerprints(values) if pa.types.is_string(values.type) else None
    if prints is not None and (np.diff(np.sort(prints)) != 0).all():
        return True
    return len(pc.unique(values)) == len(values)


def check_column(name: str, field: dict, column: pa.ChunkedArray, already_bad: np.ndarray | None,
                 schema: dict) -> list[Problem]:
    """required, enum, pattern, minimum, maximum and the text hazards for one column of a table with
    this schema (already_bad: cells that are not values of the column's type, reported already).

    Text rules look at each distinct value of a dictionary-encoded column once, and at a plain column's
    values as they are (all_distinct tells whether a key repeats). Zero-width characters count in keys,
    references and patterned codes.
    """
    c, col, out = ts.constraints(field), field["name"], []
    key = ts.primary_key(schema)
    identifier = col in key or col in {ref for ref, _, _ in ts.foreign_keys(schema)} or "pattern" in c

    def report(mask, rule, message):
        for index in rows_where(mask):
            if already_bad is None or not already_bad[index]:
                value = column[int(index)].as_py()
                out.append(Problem(name, row_number(index), col, rule,
                                   message if value is None else f"{show(value)} {message}"))

    if c.get("required") and column.null_count:
        report(pc.is_null(column), "required", "a value is required")
    if "enum" in c and field["type"] != "string":
        report(outside(column, pa.array(c["enum"])), "enum", ts.RULE_MESSAGES["enum"](c))
    if field["type"] == "string" and column.null_count < len(column):
        # a dictionary-encoded column is checked per distinct value; a plain one (a key, or prose, whose
        # values are mostly distinct) as it is, without a hash table
        distinct = distinct_values(column) if pa.types.is_dictionary(column.type) else column
        rules = []
        if "enum" in c:
            rules.append(("enum", pc.invert(pc.is_in(distinct, value_set=pa.array(c["enum"]))),
                          ts.RULE_MESSAGES["enum"](c)))
        if "pattern" in c:
            rules.append(("pattern", pc.invert(pc.match_substring_regex(distinct, f"^(?:{c['pattern']})$")),
                          ts.RULE_MESSAGES["pattern"](c)))
        for rule, hit, message in rules + text_hazards(distinct, identifier):
            offenders = distinct.filter(hit)
            if len(offenders):
                report(pc.is_in(column, value_set=offenders), rule, message)
    for rule, compare in (("minimum", pc.less), ("maximum", pc.greater)):
        if rule in c and column.null_count < len(column):
            report(compare(column, pa.scalar(c[rule]).cast(column.type)), rule, ts.RULE_MESSAGES[rule](c))
    return out


def check_key(name: str, table: pa.Table, schema: dict, unique: Future | None = None) -> list[Problem]:
    """The primary key; rows are walked only when a key repeats.

    unique: whether a single-column key's values are all distinct (all_distinct), when the caller has
    it worked out already, in a thread while the table is parsed; else it is worked out here."""
    key = ts.primary_key(schema)
    distinct = (unique.result() if unique is not None else all_distinct(table[key[0]])) if len(key) == 1 else False
    return [] if distinct else check_primary_key(name, table, key)


def check_primary_key(name: str, table: pa.Table, key: list[str]) -> list[Problem]:
    """Every row whose key repeats an earlier row's."""
    if not key:
        return []
    values = table.select(key).to_pandas()
    dup = values.duplicated(keep=False) & values.notna().all(axis=1)
    out, first_row = [], {}
    for index, row in values[dup].iterrows():
        k = tuple(row)
        if k in first_row:
            out.append(Problem(name, row_number(index), ",".join(key), "primary_key",
                               f"{show(', '.join(map(str, k)))} is already used at row {first_row[k]}"))
        else:
            first_row[k] = row_number(index)
    return out


def check_foreign_keys(name: str, table: pa.Table, schema: dict, parents: dict[str, pa.Table],
                       declared: set[str]) -> list[Problem]:
    """Every non-blank reference must name an existing row of the parent table.

    A parent that is declared but could not be read has its own problems reported; its
    references are not checked.
    """
    out = []
    for column, parent, parent_column in ts.foreign_keys(schema):
        if parent not in declared:
            out.append(Problem(name, None, column, "foreign_key", f"refers to table {parent!r}, which the package lacks"))
        if parent not in parents:
            continue
        values = table[column]
        distinct = distinct_values(values)
        (known,) = narrowed(distinct, parents[parent][parent_column])
        known = plain(known.combine_chunks()).drop_null()
        unknown = distinct.filter(pc.invert(pc.is_in(distinct, value_set=known)))
        if not len(unknown):  # every distinct value is known: no row to walk
            continue
        for index in rows_where(pc.is_in(values, value_set=unknown)):
            out.append(Problem(name, row_number(index), column, "foreign_key",
                               f"{show(values[int(index)].as_py())} is not a {parent}.{parent_column}"))
    return out

