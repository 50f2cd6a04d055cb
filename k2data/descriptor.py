"""Checks of datapackage.json and the Table Schemas, run before any data is read (by validate, build
and load alike): the validator prints each as TABLE:-:FIELD: message [descriptor], and a table whose
schema has a problem is not read.
"""
from __future__ import annotations

import re
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from .package import DataPackage, PackageError


class Problem(NamedTuple):
    """A descriptor or schema problem: its table (or 'datapackage'), field, rule and message."""

    table: str
    row: None
    column: str | None
    rule: str
    message: str

TYPES = {"string", "integer", "number", "boolean", "date"}  # the Table Schema types k2data reads
ENUM_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "date": (str,)}
CONSTRAINTS = {"required", "unique", "enum", "pattern", "minimum", "maximum"}


def as_list(value) -> list | None:
    """A field list as Table Schema allows it (a name or a list of names); None when it is neither."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def compiles(pattern: str) -> str | None:
    """Why a pattern does not compile (in Python and in the RE2 engine the checks run on), or None."""
    try:
        re.compile(pattern)
        pc.match_substring_regex(pa.array([""]), f"^(?:{pattern})$")
    except (re.error, pa.ArrowInvalid) as exc:
        return str(exc).splitlines()[0]
    return None


def field_problems(table: str, field, names_seen: set[str]) -> list[Problem]:
    if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
        return [Problem(table, None, None, "descriptor", f"a field must be an object with a name, got {field!r:.60}")]
    name, out = field["name"], []

    def problem(message):
        out.append(Problem(table, None, name, "descriptor", message))

    if name in names_seen:
        problem("field name appears more than once")
    names_seen.add(name)
    kind = field.get("type", "string")
    if not isinstance(kind, str) or kind not in TYPES:
        problem(f"type {kind!r} is not one of the types k2data reads: {', '.join(sorted(TYPES))}")
        return out
    for key in ("trueValues", "falseValues"):
        if key in field and not (isinstance(field[key], list) and all(isinstance(v, str) for v in field[key])):
            problem(f"{key} must be a list of strings")
    c = field.get("constraints", {})
    if not isinstance(c, dict):
        problem("constraints must be an object")
        return out
    for key in c:
        if key not in CONSTRAINTS:
            problem(f"constraint {key!r} is not one k2data checks: {', '.join(sorted(CONSTRAINTS))}")
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            problem(f"constraint {key} must be true or false")
    if "enum" in c:
        allowed = ENUM_TYPES[kind]
        if not isinstance(c["enum"], list) or not c["enum"]:
            problem("enum must be a non-empty list")
        elif any(not isinstance(v, allowed) or (kind != "boolean" and isinstance(v, bool)) for v in c["enum"]):
            wrong = next(v for v in c["enum"] if not isinstance(v, allowed) or (kind != "boolean" and isinstance(v, bool)))
            problem(f"enum value {wrong!r} is not a {kind}")
    if "pattern" in c:
        if not isinstance(c["pattern"], str):
            problem("pattern must be a string")
        elif kind != "string":
            problem(f"a pattern applies to text; this field is {kind}")
        elif (error := compiles(c["pattern"])) is not None:
            problem(f"pattern does not compile: {error}")
    for key in ("minimum", "maximum"):
        if key in c and (kind not in ("integer", "number") or isinstance(c[key], bool)
                         or not isinstance(c[key], (int, float))):
            problem(f"{key} must be a number on an integer or number field")
    return out


def schema_problems(table: str, schema, schemas: dict[str, dict]) -> list[Problem]:
    """Problems of one Table Schema; schemas holds the other tables' schemas for foreign keys."""
    def problem(message, field=None):
        return Problem(table, None, field, "descriptor", message)

    if not isinstance(schema, dict):
        return [problem("the Table Schema must be a JSON object")]
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        return [problem("fields must be a non-empty list of field objects")]
    out, seen = [], set()
    for field in fields:
        out += field_problems(table, field, seen)
    missing = schema.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(v, str) for v in missing):
        out.append(problem("missingValues must be a list of strings"))
    key = as_list(schema.get("primaryKey", []))
    if key is None:
        out.append(problem("primaryKey must be a field name or a list of field names"))
    else:
        out += [problem("primaryKey names a field the schema lacks", k) for k in key if k not in seen]
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        return out + [problem("foreignKeys must be a list")]
    for fk in foreign:
        reference = fk.get("reference") if isinstance(fk, dict) else None
        columns = as_list(fk.get("fields")) if isinstance(fk, dict) else None
        if columns is None or not isinstance(reference, dict):
            out.append(problem("a foreign key needs fields (a name or list) and a reference object"))
            continue
        out += [problem("foreign key names a field the schema lacks", c) for c in columns if c not in seen]
        parent, parent_columns = reference.get("resource"), as_list(reference.get("fields"))
        if not isinstance(parent, str) or parent_columns is None or len(parent_columns) != len(columns):
            out.append(problem("a foreign key's reference needs a resource and as many fields as it has",
                               columns[0] if columns else None))
            continue
        target = schema if parent in ("", table) else schemas.get(parent)
        if target is None:
            out.append(problem(f"foreign key refers to table {parent!r}, which the package lacks", columns[0]))
            continue
        target_fields = {f.get("name") for f in target.get("fields", []) if isinstance(f, dict)
                         and isinstance(f.get("name"), str)} \
            if isinstance(target, dict) and isinstance(target.get("fields"), list) else set()
        out += [problem(f"foreign key refers to {parent}.{c}, which does not exist", columns[0])
                for c in parent_columns if c not in target_fields]
    return out


def definition_problems(table: str, schema: dict, defined: dict) -> list[Problem]:
    """A table k2data defines keeps the fields, types and primary key k2data reads it with."""
    have = {f["name"]: f.get("type", "string") for f in schema["fields"]}
    out = [Problem(table, None, f["name"], "descriptor",
                   f"k2data defines this field as {f.get('type', 'string')}, "
                   + (f"not {have[f['name']]}" if f["name"] in have else "but the schema lacks it"))
           for f in defined["fields"] if have.get(f["name"]) != f.get("type", "string")]
    if as_list(schema.get("primaryKey", [])) != as_list(defined.get("primaryKey", [])):
        out.append(Problem(table, None, None, "descriptor",
                           f"k2data defines the primary key as {defined.get('primaryKey')}, not {schema.get('primaryKey')}"))
    return out


def check(package: DataPackage, defined: dict[str, dict]) -> tuple[list[Problem], set[str]]:
    """Problems of the descriptor and its schemas, and the tables whose schema cannot be used.

    defined: the Table Schemas k2data defines, by table; each must be present with its fields' types.
    """
    resources = package.descriptor.get("resources", [])
    out = []
    version = package.descriptor.get("version")
    if version is not None and not isinstance(version, str):
        out.append(Problem("datapackage", None, "version", "descriptor", f"version must be a string, got {version!r}"))
    names = [r.get("name") for r in resources]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.append(Problem(name, None, None, "descriptor", "more than one resource has this name"))
    for name in defined:
        if name not in names:
            out.append(Problem(name, None, None, "descriptor", "the package lacks this table, which k2data defines"))
    schemas, unusable = {}, set()
    for name, resource in package.resources.items():
        try:
            schemas[name] = resource.schema
        except PackageError as exc:
            out.append(Problem(name, None, None, "schema", str(exc)))
            unusable.add(name)
    for name, schema in schemas.items():
        problems = schema_problems(name, schema, schemas)
        if not problems and name in defined:
            problems = definition_problems(name, schema, defined[name])
        out += problems
        if problems:
            unusable.add(name)
    return out, unusable
