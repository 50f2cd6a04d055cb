"""Version discipline: data and schemas never change without a version bump and a CHANGELOG entry.

release.json (beside datapackage.json) records what the current version holds: per table the
hashes of its CSV and schema, its field types and row count, and the same for the version before.
`k2data check-release` compares the tree with it; `k2data release` records a new version after
checking that the bump is big enough: MAJOR when a column or table is removed, renamed or retyped,
MINOR when columns, tables or rows are added, PATCH for corrections.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from . import schema as ts
from .package import DataPackage, read_json, sha256

LOCK = "release.json"
KINDS = ("patch", "minor", "major")


def snapshot(package: DataPackage) -> dict:
    """What each table holds now: content hashes, field types, row count."""
    tables = {}
    for name, resource in package.resources.items():
        data = resource.csv_path.read_bytes()
        schema = json.dumps(resource.schema, sort_keys=True, ensure_ascii=False).encode("utf-8")
        tables[name] = {"csv": sha256(data), "schema": sha256(schema), "rows": max(data.count(b"\n") - 1, 0),
                        "fields": {f["name"]: f["type"] for f in ts.fields(resource.schema)}}
    return tables


def required_bump(old: dict, new: dict) -> str | None:
    """The smallest bump that the change from old to new tables needs (None: nothing changed)."""
    if old == new:
        return None
    for name, table in old.items():
        fields = new.get(name, {}).get("fields", {})
        if name not in new or any(fields.get(f) != t for f, t in table["fields"].items()):
            return "major"
    for name, table in new.items():
        if name not in old or set(table["fields"]) - set(old[name]["fields"]) or table["rows"] > old[name]["rows"]:
            return "minor"
    return "patch"


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(map(int, match.groups())) if match else None


def bump_kind(old: str, new: str) -> str | None:
    """major, minor or patch when new is the next version of that kind after old, else None."""
    a, b = parse_version(old), parse_version(new)
    if a is None or b is None:
        return None
    if b == (a[0] + 1, 0, 0):
        return "major"
    if b == (a[0], a[1] + 1, 0):
        return "minor"
    if b == (a[0], a[1], a[2] + 1):
        return "patch"
    return None


def stated_versions(root: Path, package: DataPackage) -> dict[str, str | None]:
    """The version as each file states it."""
    def find(file: str, pattern: str) -> str | None:
        path = root / file
        match = re.search(pattern, path.read_text(encoding="utf-8"), re.M) if path.is_file() else None
        return match.group(1) if match else None

    return {"datapackage.json": package.version,
            "CITATION.cff": find("CITATION.cff", r"^version:\s*\"?([^\"\s]+)"),
            "CHANGELOG.md": find("CHANGELOG.md", r"^## \[([^\]]+)\]")}


def version_problems(root: Path, package: DataPackage) -> list[str]:
    stated = stated_versions(root, package)
    if len(set(stated.values())) == 1 and parse_version(package.version):
        return []
    return ["the version must be the same valid MAJOR.MINOR.PATCH everywhere: "
            + ", ".join(f"{file} says {v or 'nothing'}" for file, v in stated.items())
            + " (the top CHANGELOG.md entry is '## [VERSION] - DATE')"]


def check(path: str | Path | None = None) -> list[str]:
    """Everything that keeps the current tree from being a properly recorded release."""
    package = DataPackage(path)
    package.refuse_if_installed("check-release")
    root = package.root
    problems = version_problems(root, package)
    if not (root / LOCK).is_file():
        return problems + [f"{LOCK} is missing: run `k2data release` to record version {package.version}"]
    lock = read_json(root / LOCK, "release record")
    now = snapshot(package)
    if lock.get("version") != package.version:
        problems.append(f"the version is {package.version} but {LOCK} records {lock.get('version')}: "
                        "run `k2data release` to record it")
    elif now != lock.get("tables"):
        changed = sorted(n for n in set(now) | set(lock.get("tables", {})) if now.get(n) != lock["tables"].get(n))
        need = required_bump(lock["tables"], now)
        problems.append(f"{', '.join(changed)} changed since version {package.version} was recorded: bump the "
                        f"version ({need.upper()} at least) in datapackage.json and CITATION.cff, add a CHANGELOG.md "
                        "entry, then run `k2data release`")
    previous = lock.get("previous")
    if previous and lock.get("version") == package.version:
        need = required_bump(previous["tables"], lock["tables"])
        done = bump_kind(previous["version"], lock["version"])
        if need and (done is None or KINDS.index(done) < KINDS.index(need)):
            problems.append(f"{previous['version']} -> {lock['version']} is not a {need.upper()} bump, which "
                            "the recorded change needs")
    return problems


def release(path: str | Path | None = None) -> str:
    """Record the current tree as its version in release.json; refuses a missing or too small bump."""
    package = DataPackage(path)
    package.refuse_if_installed("release")
    root = package.root
    problems = version_problems(root, package)
    if problems:
        raise ValueError(problems[0])
    now = snapshot(package)
    lock = read_json(root / LOCK, "release record") if (root / LOCK).is_file() else None
    if lock and lock.get("version") == package.version:
        if lock.get("tables") == now:
            return f"version {package.version} is already recorded"
        raise ValueError(f"the data changed but the version is still {package.version}: bump it first")
    if lock:
        need = required_bump(lock["tables"], now)
        done = bump_kind(lock["version"], package.version)
        if done is None:
            raise ValueError(f"{package.version} is not the next major, minor or patch version after {lock['version']}")
        if need and KINDS.index(done) < KINDS.index(need):
            raise ValueError(f"the change since {lock['version']} needs a {need.upper()} bump, not {done.upper()}")
    previous = {"version": lock["version"], "tables": lock["tables"]} if lock else None
    record = {"version": package.version, "tables": now, "previous": previous}
    (root / LOCK).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return f"recorded version {package.version} in {LOCK}"
