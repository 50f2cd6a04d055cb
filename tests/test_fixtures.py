"""The fixture corpus: each broken package is reported at the right table, row, column and rule,
nothing else is reported, and everything frictionless reports is reported too."""
import json
import shutil
from pathlib import Path

import frictionless
import pytest

from k2data.validate import catalogue, validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEFECTS = sorted(p.name for p in (FIXTURES / "invalid").iterdir())
CONSEQUENCES = {"hash", "bytes", "parquet"}  # what editing a CSV by hand also breaks


def broken_package(name: str, tmp_path: Path) -> Path:
    """valid/ with the overlay invalid/NAME laid over it."""
    dest = tmp_path / name
    shutil.copytree(FIXTURES / "valid", dest)
    for path in (FIXTURES / "invalid" / name).rglob("*"):
        if path.is_file() and path.name != "expected.json":
            target = dest / path.relative_to(FIXTURES / "invalid" / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return dest


def frictionless_errors(package: Path) -> list[tuple]:
    """(table, row, column, type) of every error frictionless reports; table None for package errors."""
    try:
        report = frictionless.validate(package / "datapackage.json")
    except Exception as exc:  # frictionless itself fails on some broken schemas (a pattern that does not compile)
        return [(None, None, None, type(exc).__name__)]
    found = [(None, None, None, e.type) for e in report.errors]
    for task in report.tasks:
        for e in task.errors:
            found.append((task.name, getattr(e, "row_number", None), getattr(e, "field_name", None), e.type))
    return found


def test_the_valid_fixture_is_valid_for_both_validators():
    assert validate(FIXTURES / "valid").valid
    assert frictionless.validate(FIXTURES / "valid" / "datapackage.json").valid


def test_every_rule_has_a_fixture():
    expected_rules = {loc[3] for name in DEFECTS
                      for loc in json.loads((FIXTURES / "invalid" / name / "expected.json").read_text())}
    # a schema file is only broken by hand; a 1 MiB cell is made in test_hostile_inputs, not stored
    assert set(catalogue()) - expected_rules == {"schema", "cell_size"}


@pytest.mark.parametrize("name", DEFECTS)
def test_defect_is_reported_where_it_is(name, tmp_path):
    package = broken_package(name, tmp_path)
    report = validate(package)
    found = {(p.table, p.row, p.column, p.rule) for p in report.problems}
    expected = {tuple(loc) for loc in json.loads((FIXTURES / "invalid" / name / "expected.json").read_text())}
    assert expected <= found, report.to_text()
    extra = {f for f in found - expected if f[3] not in CONSEQUENCES}
    assert not extra, report.to_text()
    assert all(p.rule in catalogue() for p in report.problems)


@pytest.mark.parametrize("name", DEFECTS)
def test_everything_frictionless_reports_is_reported(name, tmp_path):
    package = broken_package(name, tmp_path)
    ours = validate(package).problems
    for table, row, column, kind in frictionless_errors(package):
        covered = [p for p in ours if table is None or (
            p.table == table
            and (row is None or p.row is None or p.row == row)
            and (column is None or p.column is None or p.column == column or p.row == 1))]
        assert covered, f"frictionless reports {kind} at {table}:{row}:{column}; k2data does not"


def test_the_fixtures_use_the_repository_schemas():
    """Regenerate with `python tests/fixtures/make_fixtures.py` after changing a schema."""
    root = FIXTURES.parent.parent
    for path in (root / "schemas").glob("*.json"):
        assert (FIXTURES / "valid" / "schemas" / path.name).read_text() == path.read_text(), path.name
