"""CONTRIBUTING.md's worked example: its rows, added to a package without them, make it valid."""
import re

from k2data.build import build
from k2data.validate import validate

from .conftest import ROOT

EXAMPLE = re.compile(r"<!-- example rows: (tables/\w+\.csv) -->\n```csv\n(.*?)```", re.S)


def example_rows() -> dict[str, list[str]]:
    return {path: block.splitlines() for path, block in EXAMPLE.findall((ROOT / "CONTRIBUTING.md").read_text())}


def test_the_example_rows_are_the_dataset_rows():
    rows = example_rows()
    assert set(rows) == {"tables/studies.csv", "tables/models.csv", "tables/interventions.csv",
                         "tables/outcomes.csv", "tables/mechanisms.csv"}
    for path, lines in rows.items():
        assert set(lines) <= set((ROOT / path).read_text(encoding="utf-8").splitlines()), path


def test_adding_the_example_study_to_a_package_without_it_validates(package_copy):
    rows = example_rows()
    for path, lines in rows.items():
        csv_path = package_copy / path
        kept = [line for line in csv_path.read_text(encoding="utf-8").splitlines() if line not in set(lines)]
        csv_path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    build(package_copy)
    assert validate(package_copy).valid  # a package without zhang2016a is valid on its own
    for path, lines in rows.items():
        with (package_copy / path).open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    assert not validate(package_copy).valid  # hash, bytes and Parquet are stale until built
    build(package_copy)
    report = validate(package_copy)
    assert report.valid, report.to_text()


def test_the_rules_table_lists_every_rule_of_the_validator():
    from k2data.validate import catalogue

    table = re.findall(r"^\| `(\w+)` \| (.+) \|$", (ROOT / "CONTRIBUTING.md").read_text(), re.M)
    assert dict(table) == catalogue()
