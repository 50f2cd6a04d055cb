"""`k2data diff`: rows added, removed and changed by key, with field-level values; schema changes."""
import csv
import json

from k2data.cli import main
from k2data.diff import diff, to_markdown

from .conftest import ROOT


def rewrite(path, change):
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    header = list(rows[0])
    rows = change(rows) or rows
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_identical_packages_have_no_differences(package_copy):
    d = diff(ROOT, package_copy)
    assert all(not any(t.values()) for t in d["tables"].values())


def test_added_removed_and_changed_rows(package_copy):
    def edit_reports(rows):
        rows[0]["outlet"] = "Vitamin K2 dot org"
        extra = dict(rows[1], report_id="huang2015_r2")
        return [rows[0], *rows[2:], extra]  # drops the second row, adds one
    rewrite(package_copy / "tables" / "reports.csv", edit_reports)
    d = diff(ROOT, package_copy)["tables"]["reports"]
    assert d["added"] == ["huang2015_r2"]
    assert d["removed"] == ["huang2015_r1"]
    assert d["changed"] == [{"key": "zhang2016b_r1", "fields": {"outlet": {"old": "vitamink2.org", "new": "Vitamin K2 dot org"}}}]
    markdown = to_markdown(diff(ROOT, package_copy))
    assert "| reports | 1 | 1 | 1 | 0 |" in markdown
    assert "  - `outlet`: 'vitamink2.org' -> 'Vitamin K2 dot org'" in markdown


def test_schema_changes_are_listed(package_copy, capsys):
    schema = package_copy / "schemas" / "reports.json"
    schema.write_text(schema.read_text().replace('"name": "author"', '"name": "byline"'))
    path = package_copy / "tables" / "reports.csv"
    path.write_text(path.read_text().replace(",author,", ",byline,", 1))
    assert main(["diff", str(ROOT), str(package_copy), "--format", "json"]) == 0
    changes = json.loads(capsys.readouterr().out)["tables"]["reports"]["schema"]
    assert {"field": "author", "change": "removed", "type": "string"} in changes
    assert {"field": "byline", "change": "added", "type": "string"} in changes
