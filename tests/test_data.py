"""Properties of the bundled data itself."""
import json

import frictionless
import pandas as pd
import pyarrow.parquet as pq
import pytest

import k2data
from k2data import schema as ts
from k2data.loader import bundled
from k2data.read import read_typed
from k2data.validate import validate

from .conftest import ROOT


def test_frictionless_validates_the_package():
    report = frictionless.validate(ROOT / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])


def test_k2data_validator_finds_no_problem():
    report = validate(ROOT)
    assert report.valid, report.to_text()


def test_every_study_meets_the_identity_rule():
    studies = k2data.load("studies")
    citation = studies[["journal", "volume", "pages"]].notna().all(axis=1)
    assert (studies["doi"].notna() | studies["pmid"].notna() | citation).all()
    assert studies[["title", "year"]].notna().all().all()
    assert studies["authors"].str.match(r"[^\W\d_]").all()  # a family name first, in any script
    by_citation = studies[studies["doi"].isna() & studies["pmid"].isna()]
    assert len(by_citation) >= 4 and by_citation["source"].notna().all()


def test_seed_studies_are_present():
    ids = set(k2data.load("studies")["study_id"])
    assert {"zhang2016a", "zhang2016b", "huang2015", "mandatori2021", "tang2021", "yamaguchi2011"} <= ids


def test_every_seed_article_is_a_report_linked_to_its_study():
    reports = k2data.load("reports")
    seeds = sorted(p.stem for p in (ROOT.parent / "shared" / "seeds").glob("*.txt"))
    if seeds:  # the seeds live beside the repository in development and CI
        from_seeds = reports["source"][reports["source"].str.startswith("seed:")]
        assert sorted(from_seeds.str.removeprefix("seed:")) == seeds
    assert reports["source"].str.match(r"seed:|https?://").all()  # other press items name their URL
    assert reports["study_id"].isin(k2data.load("studies")["study_id"]).all()


@pytest.mark.parametrize("name", k2data.tables())
def test_parquet_holds_exactly_the_csv(name):
    resource = bundled().resource(name)
    from_csv = read_typed(resource.csv_path.read_bytes(), resource.schema, name)
    from_parquet = pq.read_table(resource.parquet_path)
    assert from_parquet.schema.remove_metadata() == from_csv.schema
    assert from_parquet.num_rows == from_csv.num_rows > 0
    assert from_parquet.equals(from_csv.replace_schema_metadata(from_parquet.schema.metadata))
    pd.testing.assert_frame_equal(ts.apply_dtypes(from_csv.to_pandas(), resource.schema),
                                  ts.apply_dtypes(from_parquet.to_pandas(), resource.schema))


@pytest.mark.parametrize("name", k2data.tables())
def test_datapackage_records_hash_and_bytes_of_each_csv(name):
    resource = bundled().resource(name)
    data = resource.csv_path.read_bytes()
    assert resource.descriptor["bytes"] == len(data)
    assert resource.descriptor["hash"].startswith("sha256:")


def test_every_schema_field_has_a_description_and_every_table_a_primary_key():
    for name in k2data.tables():
        schema = json.loads((ROOT / "schemas" / f"{name}.json").read_text())
        assert schema["primaryKey"], name
        assert schema["missingValues"] == [""], name
        for field in schema["fields"]:
            assert len(field.get("description", "")) > 10, (name, field["name"])
