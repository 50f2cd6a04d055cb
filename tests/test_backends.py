"""Backends: pandas, polars and pyarrow give the same rows, values and Table Schema types."""
import datetime
import importlib

import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

import k2data
from k2data import schema as ts
from k2data.loader import bundled

BACKENDS = ["pandas", "polars", "pyarrow"]


def values(frame, column: str) -> list:
    """A column's values as plain Python objects (None for missing, dates as dates)."""
    if isinstance(frame, pd.DataFrame):
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            return [None if pd.isna(v) else v.date() for v in series]
        return [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in series.astype(object)]
    if isinstance(frame, pl.DataFrame):
        return frame[column].to_list()
    return frame[column].to_pylist()


@pytest.mark.parametrize("name", k2data.tables() + ["evidence"])
def test_every_backend_gives_the_same_rows_and_values(name):
    frames = {b: k2data.evidence(backend=b) if name == "evidence" else k2data.load(name, backend=b) for b in BACKENDS}
    columns = [list(frames["pandas"].columns), list(frames["polars"].columns), frames["pyarrow"].column_names]
    assert columns[0] == columns[1] == columns[2]
    for column in columns[0]:
        pandas, polars, arrow = (values(frames[b], column) for b in BACKENDS)
        assert pandas == polars == arrow, (name, column)


@pytest.mark.parametrize("name", k2data.tables() + ["evidence"])
def test_every_backend_types_each_column_from_the_schema(name):
    schema = k2data.schema_of(name)
    frames = {b: k2data.evidence(backend=b) if name == "evidence" else k2data.load(name, backend=b) for b in BACKENDS}
    for field in ts.fields(schema):
        column, declared = field["name"], ts.categories(field)
        assert frames["pandas"][column].dtype == ts.dtype(field), column
        assert frames["polars"][column].dtype == ts.polars_type(field), column
        arrow_type = frames["pyarrow"][column].type
        assert arrow_type == ts.arrow_type(field, encoded=True), column
        if declared is not None:
            assert list(frames["pandas"][column].cat.categories) == declared
            assert frames["pyarrow"][column].chunk(0).dictionary.to_pylist() == declared
    if name == "reports":
        assert frames["polars"]["published"].dtype == pl.Date
        assert all(isinstance(v, datetime.date) for v in values(frames["pyarrow"], "published") if v is not None)
        assert any(v is not None for v in values(frames["pyarrow"], "published"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_exclude_retracted_works_on_every_backend(backend):
    retracted = set(k2data.load("studies").query("retracted == True")["study_id"])
    kept = k2data.load("outcomes", exclude_retracted=True, backend=backend)
    assert not set(values(kept, "study_id")) & retracted
    assert len(kept) == len(k2data.load("outcomes", exclude_retracted=True))
    assert set(k2data.load_all(backend=backend)) == set(k2data.tables())


def test_an_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="unknown backend 'spark'; choose one of: pandas, polars, pyarrow"):
        k2data.load("studies", backend="spark")


def test_a_missing_backend_says_how_to_install_it(monkeypatch):
    real = importlib.import_module

    def without_polars(name, *args):
        if name == "polars":
            raise ImportError("No module named 'polars'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_polars)
    with pytest.raises(ImportError, match=r'pip install "k2data\[polars\]"'):
        k2data.load("studies", backend="polars")


def test_paths_point_at_the_files():
    paths = k2data.path("outcomes")
    resource = bundled().resource("outcomes")
    assert paths.csv == resource.csv_path and paths.parquet == resource.parquet_path
    assert paths.csv.is_file() and paths.parquet.is_file()
    assert pq.read_schema(paths.parquet).field("outcome").metadata[b"description"].startswith(b"What was")


def test_the_evidence_table_is_documented_and_holds_every_outcome():
    dictionary = k2data.describe("evidence")
    frame = k2data.evidence()
    assert dictionary["column"].tolist() == list(frame.columns)
    assert (dictionary["description"].str.len() > 20).all()
    assert frame["outcome_id"].tolist() == k2data.load("outcomes")["outcome_id"].tolist()
    joined = frame.set_index("outcome_id")
    arms = k2data.load("interventions").set_index("intervention_id")
    row = joined.loc["jiang2014_o4"]  # alfacalcidol-controlled trial: both arms' doses are beside the outcome
    assert (row["k2_agent"], row["k2_dose_value"], row["comparator_agent"], row["comparator_dose_value"]) == (
        arms.loc["jiang2014_m", "agent"], 45.0, "active_comparator", 0.5)
    assert row["study_design"] == "rct" and row["term_higher_is"] == "worse"
    assert len(k2data.evidence(exclude_retracted=True)) == len(k2data.load("outcomes", exclude_retracted=True))
