"""The Python API: tables, load, load_all, describe, cite, exclude_retracted."""
import csv
import json

import pandas as pd
import pytest

import k2data
from k2data import loader as load_module
from k2data.build import build
from k2data.package import DataPackage, IntegrityError

from .conftest import ROOT


def test_tables_lists_the_eight_tables():
    assert k2data.tables() == ["studies", "models", "interventions", "outcome_terms", "outcomes", "pooled_trials",
                               "mechanisms", "reports"]


@pytest.mark.parametrize("name", k2data.tables())
def test_load_gives_schema_dtypes(name):
    frame = k2data.load(name)
    schema = json.loads((ROOT / "schemas" / f"{name}.json").read_text())
    assert list(frame.columns) == [f["name"] for f in schema["fields"]]
    for field in schema["fields"]:
        column = frame[field["name"]]
        enum = field.get("constraints", {}).get("enum")
        if enum:
            assert isinstance(column.dtype, pd.CategoricalDtype)
            assert list(column.cat.categories) == enum
        else:
            expected = {"integer": "Int64", "number": "Float64", "boolean": "boolean",
                        "date": "datetime64[us]", "string": "str"}[field["type"]]
            assert str(column.dtype) == expected, (name, field["name"], column.dtype)


def test_load_falls_back_to_csv_with_the_same_result(monkeypatch, package_copy):
    for path in (package_copy / "tables").glob("*.parquet"):
        path.unlink()
    monkeypatch.setattr(load_module, "bundled", lambda: DataPackage(package_copy))
    from_csv = load_module.load("outcomes")
    monkeypatch.undo()
    pd.testing.assert_frame_equal(from_csv, k2data.load("outcomes"))


def test_an_edited_csv_is_refused_until_built(monkeypatch, package_copy):
    """A CSV edited after `k2data build` raises IntegrityError (never old or new data); after the build it loads."""
    path = package_copy / "tables" / "studies.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["title"] = "Edited title"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(load_module, "bundled", lambda: DataPackage(package_copy))
    with pytest.raises(IntegrityError, match=r"table 'studies': tables/studies.csv does not match .* run `k2data build`"):
        load_module.load("studies")
    build(package_copy)
    assert load_module.load("studies")["title"].iloc[0] == "Edited title"


def retract(monkeypatch, package, study_id):
    """Flag a study as retracted in a package copy, rebuild it and load from it."""
    path = package / "tables" / "studies.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    target = next(r for r in rows if r["study_id"] == study_id)
    target["retracted"], target["retraction_note"] = "true", "test fixture"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    build(package)
    monkeypatch.setattr(load_module, "bundled", lambda: DataPackage(package))


def test_exclude_retracted_drops_the_study_and_every_row_on_it(monkeypatch, package_copy):
    retract(monkeypatch, package_copy, "yamaguchi2011")
    studies = load_module.load("studies")
    retracted = set(studies.loc[studies["retracted"], "study_id"])
    assert "yamaguchi2011" in retracted
    for name in set(load_module.tables()) - {"outcome_terms", "pooled_trials"}:
        everything = load_module.load(name)
        kept = load_module.load(name, exclude_retracted=True)
        assert (everything["study_id"] == "yamaguchi2011").sum() > 0, name
        assert len(kept) == (~everything["study_id"].isin(retracted)).sum()
        assert not set(kept["study_id"]) & retracted
    terms = load_module.load("outcome_terms")  # a vocabulary hangs on no study: returned whole
    pd.testing.assert_frame_equal(load_module.load("outcome_terms", exclude_retracted=True), terms)


def test_the_retracted_trials_and_meta_analysis_are_flagged_and_excluded():
    studies = k2data.load("studies")
    flagged = set(studies.loc[studies["retracted"], "study_id"])
    assert {"sato1998", "sato2002", "iwamoto2009"} <= flagged
    assert studies.loc[studies["retracted"], "retraction_note"].notna().all()
    outcomes = k2data.load("outcomes", exclude_retracted=True)
    assert not set(outcomes["study_id"]) & flagged


def test_exclude_retracted_drops_a_link_to_a_retracted_trial_or_from_a_retracted_review():
    links = k2data.load("pooled_trials")
    kept = k2data.load("pooled_trials", exclude_retracted=True)
    assert {"iwamoto2009_o1", "iwamoto2009_o2"} <= set(links["outcome_id"])  # a retracted review's estimates
    assert not set(kept["outcome_id"]) & {"iwamoto2009_o1", "iwamoto2009_o2"}
    assert not set(kept["study_id"]) & {"sato1998", "sato2002"}
    assert set(kept["outcome_id"]) == {"mott2019_o1", "mott2019_o3"}  # neither end retracted: kept


def test_a_link_is_dropped_when_only_its_review_is_retracted(monkeypatch, package_copy):
    retract(monkeypatch, package_copy, "mott2019")
    kept = load_module.load("pooled_trials", exclude_retracted=True)
    assert not kept["outcome_id"].str.startswith("mott2019").any()
    assert "ishida2004" in set(load_module.load("studies", exclude_retracted=True)["study_id"])  # the trial stays


def test_load_all_returns_every_table():
    tables = k2data.load_all()
    assert list(tables) == k2data.tables()
    assert all(len(frame) > 0 for frame in tables.values())


def test_unknown_table_names_the_valid_ones():
    with pytest.raises(ValueError, match="studies, models, interventions"):
        k2data.load("outcome")


def test_describe_is_the_data_dictionary():
    dictionary = k2data.describe("outcomes")
    schema = json.loads((ROOT / "schemas" / "outcomes.json").read_text())
    assert list(dictionary.columns) == ["column", "type", "required", "constraints", "description", "example"]
    assert dictionary["column"].tolist() == [f["name"] for f in schema["fields"]]
    row = dictionary.set_index("column").loc["p_value"]
    assert row["type"] == "number" and "maximum=1" in row["constraints"] and not row["required"]


def test_cite_names_this_version():
    assert f"version {k2data.__version__}" in k2data.cite()
    bibtex = k2data.cite("bibtex")
    assert bibtex.startswith("@misc{") and f"version = {{{k2data.__version__}}}" in bibtex
    with pytest.raises(ValueError):
        k2data.cite("apa")


@pytest.mark.parametrize("name", k2data.tables())
def test_pandera_schema_accepts_the_loaded_tables(name):
    k2data.pandera_schema(name).validate(k2data.load(name), lazy=True)


def test_pandera_schema_reports_broken_values_by_rule():
    import pandera.pandas as pa

    frame = k2data.load("outcomes")
    frame["p_value"] = frame["p_value"].astype("Float64")
    frame.loc[0, "p_value"] = 1.5
    frame["outcome_id"] = frame["outcome_id"].astype("str")
    frame.loc[1, "outcome_id"] = "Not Snake Case"
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        k2data.pandera_schema("outcomes").validate(frame, lazy=True)
    cases = caught.value.failure_cases
    assert set(zip(cases["column"], cases["index"])) >= {("p_value", 0), ("outcome_id", 1)}


def test_info_counts_studies_by_design_and_retraction(capsys):
    from k2data.cli import main

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    listed = {}
    for line in out.split("Studies by design (retracted in brackets):\n")[1].split("\n\n")[0].splitlines():
        design, count, retracted = line.split()
        listed[design] = (int(count), int(retracted.strip("()")))
    studies = k2data.load("studies")
    expected = {str(d): (len(g), int(g["retracted"].sum())) for d, g in studies.groupby("design", observed=True)}
    assert listed == expected
    concerns = studies["integrity_concern"].value_counts()
    assert f"Studies with an integrity concern: {concerns.sum()} (" in out
    assert all(f"{kind} {n}" in out for kind, n in concerns.items() if n)


def test_cite_carries_the_url_and_the_doi_once_they_are_set(package_copy):
    descriptor = json.loads((package_copy / "datapackage.json").read_text())
    assert "homepage" not in descriptor and "id" not in descriptor  # neither exists yet: nothing is made up
    descriptor.update(homepage="https://example.org/k2data", id="https://doi.org/10.5281/zenodo.0000000")
    (package_copy / "datapackage.json").write_text(json.dumps(descriptor))
    bibtex = k2data.cite("bibtex", DataPackage(package_copy))
    assert "  url = {https://example.org/k2data}" in bibtex and "  doi = {10.5281/zenodo.0000000}" in bibtex
    assert f"  version = {{{descriptor['version']}}}" in bibtex
    assert "https://doi.org/10.5281/zenodo.0000000" in k2data.cite("text", DataPackage(package_copy))
