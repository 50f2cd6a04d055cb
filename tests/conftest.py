"""Shared fixtures: the repository root and writable copies of the data package."""
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def copy_package(dest: Path) -> Path:
    """A writable copy of the repository's data package (descriptor, schemas, tables)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "datapackage.json", dest)
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(ROOT / "tables", dest / "tables")
    return dest


@pytest.fixture
def package_copy(tmp_path) -> Path:
    return copy_package(tmp_path / "pkg")
