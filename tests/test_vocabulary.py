"""The outcome vocabulary: small, complete, used, traceable, and one filter finds a thing across designs."""
import csv
import itertools
import re

import pandas as pd
import pyarrow as pa

import k2data
from k2data.validate import validate
from k2data.validate.rules import FAVOURED, Tables, polarity

from .conftest import ROOT

MIGRATION = ROOT / "migrations" / "outcome_labels_0.x_to_1.0.csv"


def terms() -> pd.DataFrame:
    return k2data.load("outcome_terms")


def outcomes_with_design() -> pd.DataFrame:
    return k2data.load("outcomes").merge(k2data.load("studies")[["study_id", "design"]], on="study_id")


def test_well_under_90_terms_each_used_and_fully_described():
    vocabulary, outcomes = terms(), k2data.load("outcomes")
    used = set(outcomes["outcome"])
    assert len(used) <= 80
    assert used == set(vocabulary["term"])  # no term without a row, no row without a term
    for column in ("label", "category", "definition", "higher_is"):
        assert vocabulary[column].notna().all(), column
    assert (vocabulary["definition"].str.len() > 40).all()
    assert not vocabulary["term"].str.contains("gene_expression|protein_expression").any()


def test_each_outcome_has_its_terms_category():
    merged = k2data.load("outcomes").merge(terms(), left_on="outcome", right_on="term", suffixes=("", "_term"))
    assert len(merged) == len(k2data.load("outcomes"))
    assert (merged["category"].astype(str) == merged["category_term"].astype(str)).all()


def test_every_ontology_id_says_where_it_was_seen():
    listed = (ROOT / "IDENTIFIERS.md").read_text(encoding="utf-8")
    for term, curie in terms().dropna(subset=["ontology_id"])[["term", "ontology_id"]].itertuples(index=False):
        assert re.search(rf"\| outcome_terms\.ontology_id \|[^|]*\b{term}\b[^|]*\| {curie} \|", listed), (term, curie)


def test_the_migration_maps_every_0x_row_to_its_term():
    with MIGRATION.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    outcomes = k2data.load("outcomes").set_index("outcome_id")
    assert len(rows) == 365 == len({r["outcome_id"] for r in rows})  # every row of 0.4.0; later rows use terms
    assert {r["outcome_id"] for r in rows} <= set(outcomes.index)
    assert len({r["label_0x"] for r in rows}) == 181  # every 0.x label has a destination
    for row in rows:
        current = outcomes.loc[row["outcome_id"]]
        assert row["term"] == current["outcome"], row["outcome_id"]
        assert row["measured_as"] == ("" if pd.isna(current["measured_as"]) else current["measured_as"])


def test_one_term_finds_lumbar_spine_bmd_in_trials_and_meta_analyses():
    spine = outcomes_with_design().query("outcome == 'bmd_lumbar_spine'")
    assert {"rct", "non_randomised_trial", "meta_analysis"} <= set(spine["design"])
    assert {"bmd_vertebral", "bmd_lumbar_spine_adjusted", "bmd_vertebral_ct"} <= _labels_0x("bmd_lumbar_spine")


def test_one_term_finds_osteocalcin_in_people_animals_and_cells_however_measured():
    osteocalcin = outcomes_with_design().query("outcome == 'osteocalcin'")
    assert {"rct", "meta_analysis", "animal", "in_vitro"} <= set(osteocalcin["design"])
    assert {"serum_level", "gene_expression", "protein_expression"} <= set(osteocalcin["measured_as"].dropna())
    assert {"osteocalcin", "protein_expression_osteocalcin", "gene_expression_bglap",
            "gene_expression_osteocalcin"} <= _labels_0x("osteocalcin")


def _labels_0x(term: str) -> set[str]:
    with MIGRATION.open(encoding="utf-8") as fh:
        return {r["label_0x"] for r in csv.DictReader(fh) if r["term"] == term}


def test_the_polarity_rule_catches_a_contradiction_in_the_real_data(package_copy):
    path = package_copy / "tables" / "outcomes.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    index = next(i for i, r in enumerate(rows) if r["outcome"] == "bmd_lumbar_spine" and r["direction"] == "increase"
                 and r["favours"] == "vitamin_k2")
    rows[index]["favours"] = "comparator"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    found = {(p.table, p.row, p.column) for p in validate(package_copy).problems if p.rule == "polarity"}
    assert found == {("outcomes", index + 2, "favours")}


def test_the_polarity_rule_over_every_combination():
    """Every (higher_is, direction, favours) of the enums, and blanks: exactly the results that favour the
    arm the term's polarity says is worse off are reported."""
    higher = ["better", "worse", "neutral", None]
    directions = ["increase", "decrease", "no_change", "mixed", None]
    favours = ["vitamin_k2", "comparator", "neither", "unclear", None]
    combos = list(itertools.product(range(len(higher)), directions, favours))
    terms = pa.table({"term": [f"t{i}" for i in range(len(higher))], "higher_is": higher})
    outcomes = pa.table({"outcome": pa.array([f"t{i}" for i, _, _ in combos]).dictionary_encode(),
                         "direction": pa.array([d for _, d, _ in combos]).dictionary_encode(),
                         "favours": pa.array([f for _, _, f in combos]).dictionary_encode()})
    found = {p.row - 2 for p in polarity(Tables({"outcome_terms": terms, "outcomes": outcomes}, {}))}
    expected = {n for n, (i, d, f) in enumerate(combos)
                if (higher[i], d) in FAVOURED and f in {"vitamin_k2", "comparator"} - {FAVOURED[higher[i], d]}}
    assert found == expected and len(expected) == 4
