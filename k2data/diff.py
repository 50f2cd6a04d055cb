"""`k2data diff OLD NEW`: what changed between two data packages, table by table.

Rows are matched by primary key: added, removed, and changed with field-level old -> new values.
Schema changes list fields added, removed or retyped. Output as Markdown (for a pull-request
comment) or as JSON.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import schema as ts
from .package import DataPackage
from .read import read_typed


def read_frame(package: DataPackage, name: str) -> pd.DataFrame:
    resource = package.resource(name)
    table = read_typed(resource.csv_path.read_bytes(), resource.schema, name)
    return ts.apply_dtypes(table.to_pandas(), resource.schema, categorical=False)


def cell(value) -> str | None:
    """A value as text for the report (None for blank)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value).lower() if isinstance(value, bool) else str(value)


def schema_changes(old: dict, new: dict) -> list[dict]:
    before = {f["name"]: f["type"] for f in ts.fields(old)}
    after = {f["name"]: f["type"] for f in ts.fields(new)}
    changes = [{"field": f, "change": "removed", "type": t} for f, t in before.items() if f not in after]
    changes += [{"field": f, "change": "added", "type": t} for f, t in after.items() if f not in before]
    changes += [{"field": f, "change": "retyped", "old": before[f], "new": after[f]}
                for f in before if f in after and before[f] != after[f]]
    return changes


def table_diff(old: DataPackage, new: DataPackage, name: str) -> dict:
    """Added, removed and changed rows of one table present in both packages."""
    old_schema, new_schema = old.resource(name).schema, new.resource(name).schema
    key = ts.primary_key(new_schema)
    before = read_frame(old, name).set_index(key, drop=False)
    after = read_frame(new, name).set_index(key, drop=False)
    common = [c for c in after.columns if c in before.columns]
    changed = []
    for k in after.index.intersection(before.index):
        fields = {c: {"old": cell(before.at[k, c]), "new": cell(after.at[k, c])}
                  for c in common if cell(before.at[k, c]) != cell(after.at[k, c])}
        if fields:
            changed.append({"key": k if isinstance(k, str) else list(k), "fields": fields})
    return {
        "schema": schema_changes(old_schema, new_schema),
        "added": [k if isinstance(k, str) else list(k) for k in after.index.difference(before.index)],
        "removed": [k if isinstance(k, str) else list(k) for k in before.index.difference(after.index)],
        "changed": changed,
    }


def diff(old_path: str | Path, new_path: str | Path) -> dict:
    """Everything that differs between two packages."""
    old, new = DataPackage(old_path), DataPackage(new_path)
    result = {"old_version": old.version, "new_version": new.version, "tables": {},
              "tables_added": [n for n in new.resources if n not in old.resources],
              "tables_removed": [n for n in old.resources if n not in new.resources]}
    for name in new.resources:
        if name in old.resources:
            result["tables"][name] = table_diff(old, new, name)
    return result


def to_markdown(d: dict) -> str:
    lines = [f"## k2data diff: {d['old_version']} -> {d['new_version']}", ""]
    for label in ("tables_added", "tables_removed"):
        if d[label]:
            lines.append(f"- {label.replace('_', ' ')}: {', '.join(d[label])}")
    summary = ["| table | added | removed | changed | schema changes |", "|---|---:|---:|---:|---:|"]
    for name, t in d["tables"].items():
        summary.append(f"| {name} | {len(t['added'])} | {len(t['removed'])} | {len(t['changed'])} | {len(t['schema'])} |")
    lines += summary + [""]
    for name, t in d["tables"].items():
        if not any(t.values()):
            continue
        lines.append(f"### {name}")
        lines += [f"- schema: field `{c['field']}` {c['change']}"
                  + (f" ({c['old']} -> {c['new']})" if c["change"] == "retyped" else f" ({c['type']})")
                  for c in t["schema"]]
        lines += [f"- added `{k}`" for k in t["added"]]
        lines += [f"- removed `{k}`" for k in t["removed"]]
        for row in t["changed"]:
            lines.append(f"- changed `{row['key']}`")
            lines += [f"  - `{f}`: {v['old']!r} -> {v['new']!r}" for f, v in row["fields"].items()]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(d: dict) -> str:
    return json.dumps(d, indent=2, ensure_ascii=False)
