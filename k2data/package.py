"""Find and read the data package: datapackage.json, its resources and their files.

The package lives inside the wheel (``k2data/_data``) or, in a checkout, at the repository root.
Resource paths that would leave the package folder are refused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

DESCRIPTOR = "datapackage.json"
PARQUET_SOURCE_KEY = b"k2data:csv_sha256"  # Parquet metadata: hash of the CSV it was built from
PARQUET_SCHEMA_KEY = b"k2data:schema_sha256"  # and of the Table Schema it was parsed with
PARQUET_HASH = "k2data:parquet_hash"  # resource property: hash of the Parquet file `k2data build` wrote


class PackageError(ValueError):
    """The data package cannot be used: missing, unreadable, or unsafe."""


class IntegrityError(PackageError):
    """A file of the data package does not match the hash recorded for it, or cannot be read: its data
    are never returned."""


def installed_root() -> Path:
    """Where an installed wheel keeps its data package (it may not exist, as in a checkout)."""
    return Path(str(resources.files("k2data"))) / "_data"


def is_installed(root: Path) -> bool:
    """True for the copy inside an installed wheel, which maintainer commands must not change."""
    return root.resolve() == installed_root().resolve()


def bundled_root() -> Path:
    """The folder holding the bundled datapackage.json (wheel first, then the checkout)."""
    in_wheel = installed_root()
    if (in_wheel / DESCRIPTOR).is_file():
        return in_wheel
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / DESCRIPTOR).is_file():
        return checkout
    raise PackageError("no bundled data package found (neither k2data/_data nor a checkout)")


def safe_path(root: Path, relative: str) -> Path:
    """Resolve a resource path inside root; refuse URLs, absolute paths, '..' and links leaving root."""
    if not isinstance(relative, str) or not relative:
        raise PackageError(f"resource path {relative!r} is not a file name")
    if "://" in relative:
        raise PackageError(f"resource path {relative!r} is a URL; only local files are read")
    if relative.startswith(("/", "\\")) or (len(relative) > 1 and relative[1] == ":"):
        raise PackageError(f"resource path {relative!r} is absolute; paths must be relative")
    if ".." in Path(relative).parts:
        raise PackageError(f"resource path {relative!r} leaves the package folder")
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise PackageError(f"resource path {relative!r} links outside the package folder")
    return resolved


@dataclass(frozen=True, eq=False)
class Resource:
    """One table of the package: its descriptor entry and the files behind it (paths and schema are
    resolved once per object)."""

    root: Path
    descriptor: dict

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @cached_property
    def csv_path(self) -> Path:
        return safe_path(self.root, self.descriptor["path"])

    @cached_property
    def parquet_path(self) -> Path:
        return self.csv_path.with_suffix(".parquet")

    @cached_property
    def schema_hash(self) -> str:
        return schema_hash(self.schema)

    @cached_property
    def schema(self) -> dict:
        schema = self.descriptor.get("schema")
        if isinstance(schema, dict):
            return schema
        return read_json(safe_path(self.root, schema), f"schema of {self.name}")


def sha256(data: bytes) -> str:
    """The Frictionless hash of some bytes: 'sha256:<hex>'."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def size_differs(descriptor: dict, size: int) -> bool:
    """Whether a resource records its file's size (bytes) and the file has another: validate reports it
    (rule bytes) and load refuses the table."""
    return "bytes" in descriptor and descriptor["bytes"] != size


def schema_hash(schema: dict) -> str:
    """The hash of a Table Schema's content (key order and layout do not count)."""
    return sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def provenance(csv_hash: str, resource: "Resource") -> dict[bytes, str]:
    """The Parquet metadata `k2data build` writes: what the file was built from."""
    return {PARQUET_SOURCE_KEY: csv_hash, PARQUET_SCHEMA_KEY: resource.schema_hash}


def built_from(metadata: dict | None, csv_hash: str, resource: "Resource") -> bool:
    """True when Parquet metadata says the file was built from this CSV with this resource's schema."""
    metadata = metadata or {}
    return all(metadata.get(key, b"").decode("utf-8", "replace") == value
               for key, value in provenance(csv_hash, resource).items())


def read_json(path: Path, what: str) -> dict:
    """Read a JSON object, turning every failure into a PackageError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"{what}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageError(f"{what}: cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PackageError(f"{what}: {path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise PackageError(f"{what}: {path} must hold a JSON object")
    return data


class DataPackage:
    """A data package on disk. ``DataPackage()`` is the bundled one."""

    def __init__(self, path: str | Path | None = None):
        if path is None:
            self.descriptor_path = bundled_root() / DESCRIPTOR
        else:
            path = Path(path)
            if path.is_file() and path.suffix.lower() != ".json":
                raise PackageError(f"data package: {path} is a {path.suffix or 'plain'} file; give the package "
                                   f"folder or its {DESCRIPTOR}")
            self.descriptor_path = path / DESCRIPTOR if path.is_dir() else path
        self.root = self.descriptor_path.parent
        self.descriptor = read_json(self.descriptor_path, "data package")
        entries = self.descriptor.get("resources")
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("path"), str)
            for e in entries
        ):
            raise PackageError(f"{self.descriptor_path}: 'resources' must be a list of objects with name and path")
        self.resources = {e["name"]: Resource(self.root, e) for e in entries}

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def refuse_if_installed(self, command: str) -> None:
        """Maintainer commands change or judge a checkout; the wheel's copy is not one."""
        if is_installed(self.root):
            raise PackageError(f"{self.root} is the data installed with k2data; `k2data {command}` works on a "
                               "checkout of the repository: run it there, or give the folder of a package you maintain")

    def resource(self, name: str) -> Resource:
        if name not in self.resources:
            raise ValueError(f"unknown table {name!r}; the tables are: {', '.join(self.resources)}")
        return self.resources[name]
