"""From the dataset's outcome rows to effect sizes, pooled results and forest plots."""
import csv
import json
import math
import struct
import sys

import numpy as np
import pandas as pd
import pytest

import k2data
from k2data import loader as load_module
from k2data import meta
from k2data.build import build
from k2data.meta.compare import living_comparison
from k2data.package import DataPackage


@pytest.fixture(scope="module")
def outcomes():
    return k2data.load("outcomes")


def rows(outcomes, *ids):
    return outcomes[outcomes["outcome_id"].isin(ids)]


def test_event_counts_become_log_risk_ratios_with_the_conversion_recorded(outcomes):
    effects = meta.from_outcomes(rows(outcomes, "jiang2014_o4", "sato2002_o2"), "RR", exclude_retracted=False)
    table = effects.table.set_index("outcome_id")
    # jiang2014: 2 of 108 vs 4 of 105 (hand value in test_meta_effects); sato2002: 1 of 60 vs 10 of 60
    assert table.loc["jiang2014_o4", "yi"] == pytest.approx(math.log(0.4861111), abs=1e-6)
    assert table.loc["sato2002_o2", "yi"] == pytest.approx(math.log(0.1), abs=1e-12)
    assert set(table["conversion"]) == {"event counts"}
    assert table.loc["sato2002_o2", "label"] == "Sato 2002" and bool(table.loc["sato2002_o2", "retracted"])


def test_retracted_studies_are_left_out_by_default_and_said_so(outcomes):
    effects = meta.from_outcomes(rows(outcomes, "jiang2014_o4", "sato2002_o2"), "RR")
    assert effects.labels == ["Jiang 2014"]
    assert effects.dropped.set_index("outcome_id").loc["sato2002_o2", "reason"].startswith("retracted study")
    assert effects.why_not_poolable() == "only Jiang 2014 has usable numbers for RR; pooling needs at least 2 studies"


def test_integrity_concerns_are_marked_and_can_be_left_out(outcomes):
    kept = meta.from_outcomes(rows(outcomes, "sato2011_o2"), "RR")
    assert kept.labels == ["Sato 2011 (integrity concern)"]
    assert kept.table.loc[0, "integrity_concern"] == "author_misconduct"
    left = meta.from_outcomes(rows(outcomes, "sato2011_o2"), "RR", exclude_concerns=True)
    assert left.table.empty
    assert left.dropped.loc[0, "reason"].startswith("integrity concern (author_misconduct), left out")
    evidence = k2data.evidence()
    flagged = evidence.loc[evidence["study_integrity_concern"].notna(), "study_id"]
    studies = k2data.load("studies")
    concerned = set(studies.loc[studies["integrity_concern"].notna(), "study_id"])
    assert set(flagged) <= concerned and "sato2011" in set(flagged)


def test_a_reported_ratio_stands_in_where_counts_are_missing(outcomes):
    effects = meta.from_outcomes(rows(outcomes, "sato2011_o2"), "RR")  # RR 0.31 (0.12 to 0.81)
    row = effects.table.iloc[0]
    assert row["conversion"] == "reported RR and 95% CI"
    assert row["yi"] == pytest.approx(math.log(0.31))
    assert row["vi"] == pytest.approx(((math.log(0.81) - math.log(0.12)) / (2 * 1.959963984540054)) ** 2)


def test_every_dropped_row_says_which_numbers_are_missing(outcomes):
    effects = meta.from_outcomes(outcomes[outcomes["outcome"] == "bmd_lumbar_spine"], "MD")
    reasons = effects.dropped.set_index("outcome_id")["reason"]
    assert reasons["je2011_o1"] == "no arm means and SDs (missing n_k2, n_comparator) and no reported md/wmd"
    assert reasons["forli2010_o1"].endswith("its reported md/wmd has no 95% CI")
    assert reasons["ushiroyama2002_o1"].startswith("no comparator arm")
    assert reasons["hu2021_o1"] == "a pooled or review estimate, not a study's own result"
    assert set(effects.dropped["outcome_id"]) | set(effects.table["outcome_id"]) == \
        set(outcomes.loc[outcomes["outcome"] == "bmd_lumbar_spine", "outcome_id"])  # nothing silently lost


def test_mean_differences_on_different_scales_are_not_pooled(outcomes):
    effects = meta.from_outcomes(outcomes[outcomes["outcome"] == "bmd_lumbar_spine"], "MD")
    assert sorted(effects.labels) == ["Bartstra 2021", "Levy-Schousboe 2023"]
    reason = effects.why_not_poolable()
    assert "different scales" in reason and "Hounsfield units" in reason and "g/cm2" in reason
    with pytest.raises(ValueError, match="different scales"):
        effects.pool()


def arm_row(outcomes, **changes):
    """je2011_o1 (arm means with a spread) with n and spread_kind set, as a curator might fill them."""
    row = rows(outcomes, "je2011_o1").copy()
    for column, value in changes.items():
        row[column] = pd.Series([value], index=row.index).astype(row[column].dtype)
    return row


def test_an_se_is_converted_to_an_sd_and_an_unstated_spread_is_dropped_unless_asked(outcomes):
    se = meta.from_outcomes(arm_row(outcomes, n_k2=38, n_comparator=40, spread_kind="se"), "MD").table.iloc[0]
    # 0.01 ± 0.03 (SE, n 38) vs −0.008 ± 0.04 (SE, n 40): SD = SE·√n, so vi = SE1² + SE2²
    assert se["conversion"] == "arm means and SEs (SD = SE × √n)"
    assert (se["yi"], se["vi"]) == pytest.approx((0.018, 0.03 ** 2 + 0.04 ** 2))
    unstated = arm_row(outcomes, n_k2=38, n_comparator=40)
    assert meta.from_outcomes(unstated, "MD").dropped["reason"].iloc[0].startswith("arm spread not stated")
    taken = meta.from_outcomes(unstated, "MD", unstated_spread="sd").table.iloc[0]
    assert taken["conversion"].startswith("arm means; spread taken as an SD")
    assert taken["vi"] == pytest.approx(0.03 ** 2 / 38 + 0.04 ** 2 / 40)


def test_rows_of_different_terms_are_not_pooled_together(outcomes):
    effects = meta.from_outcomes(rows(outcomes, "jiang2014_o4", "sato2002_o2", "sato2011_o2"), "RR",
                                 exclude_retracted=False)
    assert effects.why_not_poolable() == ("the rows measure different outcome terms (fracture_any: "
                                          "Sato 2002, Jiang 2014; fracture_nonvertebral: Sato 2011); pool one term at a time")


def test_one_row_per_study_and_the_others_are_named(outcomes):
    effects = meta.from_outcomes(rows(outcomes, "sato2002_o3", "sato2002_o2"), "RR", exclude_retracted=False)
    assert effects.table["outcome_id"].tolist() == ["sato2002_o2"]  # the first by outcome number
    assert effects.dropped["reason"].iloc[0] == ("another usable row of this study is used (sato2002_o2); "
                                                 "pass one row per study to choose")


def test_the_evidence_table_gives_what_the_outcomes_table_gives_and_a_foreign_frame_is_refused(outcomes):
    evidence = k2data.evidence()
    effects = meta.from_outcomes(evidence[evidence["outcome"] == "fracture_any"], "RR", exclude_retracted=False)
    same = meta.from_outcomes(outcomes[outcomes["outcome"] == "fracture_any"], "RR", exclude_retracted=False)
    assert effects.labels == ["Sato 2002 (retracted)", "Jiang 2014"]  # by year, the retraction marked
    pd.testing.assert_frame_equal(effects.table, same.table)
    with pytest.raises(ValueError, match="lacks the outcome columns"):
        meta.from_outcomes(pd.DataFrame({"yi": [1.0]}), "MD")
    with pytest.raises(ValueError, match="unknown measure"):
        meta.from_outcomes(evidence, "HR")


def test_measure_is_required():
    with pytest.raises(TypeError):
        meta.from_outcomes(k2data.load("outcomes"))


def test_three_lines_from_load_to_a_pooled_estimate(outcomes):
    effects = meta.from_outcomes(outcomes[outcomes["outcome"] == "fracture_any"], "RR", exclude_retracted=False)
    effects = meta.Effects(effects.measure, effects.table[effects.table["design"] == "rct"], effects.dropped)
    result = effects.pool()
    expected = meta.pool(effects.yi, effects.vi)
    assert result.estimate == expected.estimate and result.k == 2
    assert result.studies["label"].tolist() == effects.labels
    assert result.studies["weight"].sum() == pytest.approx(100)


def test_forest_plot_saves_offline_as_svg_png_and_html(outcomes, tmp_path):
    effects = meta.from_outcomes(rows(outcomes, "jiang2014_o4", "sato2002_o2"), "RR", exclude_retracted=False)
    result = effects.pool(method="DL")
    chart = meta.forest(result)
    for name in ("f.svg", "f.png", "f.html"):
        chart.save(tmp_path / name, **({"inline": True} if name.endswith("html") else {}))
    svg = (tmp_path / "f.svg").read_text()
    assert svg.startswith("<svg") and "Jiang 2014" in svg and "Random-effects model (DL)" in svg
    assert "Sato 2002 (retracted)" in svg
    assert f"{math.exp(result.estimate):.3g} [{math.exp(result.ci_lower):.3g}, {math.exp(result.ci_upper):.3g}]" in svg
    png = (tmp_path / "f.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24])[0] > 400
    html = (tmp_path / "f.html").read_text()
    assert "<script" in html and "cdn.jsdelivr" not in html and "Jiang 2014" in html  # no network needed


def test_forest_takes_a_frame_and_pools_it_itself(outcomes):
    effects = meta.from_outcomes(rows(outcomes, "jiang2014_o4", "sato2002_o2"), "RR", exclude_retracted=False)
    spec = meta.forest(effects, method="FE").to_dict()
    assert "Fixed-effects model (FE)" in json.dumps(spec)
    with pytest.raises(ValueError, match="yi and vi"):
        meta.forest(pd.DataFrame({"x": [1]}))


def test_a_missing_extra_names_the_pip_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "statsmodels" else real(name, *a))
    saved = {name: module for name, module in sys.modules.items() if name.startswith("k2data.meta")}
    for name in saved:
        del sys.modules[name]
    try:
        with pytest.raises(ImportError, match=r'pip install "k2data\[meta\]"'):
            importlib.import_module("k2data.meta")
    finally:
        sys.modules.update(saved)


def test_living_comparison_pools_the_linked_trials_when_two_have_numbers(monkeypatch, package_copy):
    # a made-up link in a copy: huang2015_o4 (published fracture RR) to two trials with counts
    path = package_copy / "tables" / "pooled_trials.csv"
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for trial in ("jiang2014", "sato2002"):
            writer.writerow(["huang2015_o4", trial, "test link", "https://example.org/", "test", ""])
    build(package_copy)
    monkeypatch.setattr(load_module, "bundled", lambda: DataPackage(package_copy))
    frame = living_comparison("fracture_any", exclude_retracted=False).set_index("outcome_id")
    row = frame.loc["huang2015_o4"]
    outcomes = load_module.load("outcomes")
    expected = meta.from_outcomes(rows(outcomes, "jiang2014_o4", "sato2002_o2"), "RR", exclude_retracted=False).pool()
    assert row["ours"] == (f"RR {math.exp(expected.estimate):.2f} [{math.exp(expected.ci_lower):.2f}, "
                           f"{math.exp(expected.ci_upper):.2f}]")
    assert row["trials_used"] == "Sato 2002 (retracted), Jiang 2014"
    assert row["note"].startswith("pooled 2 of 2 linked trials")
    by_default = living_comparison("fracture_any").set_index("outcome_id").loc["huang2015_o4"]
    assert by_default["ours"] == "" and "Sato 2002: retracted study" in by_default["note"]


def test_living_comparison_on_the_bundled_links_says_what_is_missing():
    frame = living_comparison().set_index("outcome_id")
    assert frame.loc["mott2019_o3", "trials_linked"] == "Ishida 2004"
    assert "Ishida 2004: no event counts (missing k2_events, n_k2)" in frame.loc["mott2019_o3", "note"]
    assert "iwamoto2009_o1" not in frame.index  # a retracted review, left out by default
    assert frame.loc["hu2021_o1", "note"] == "no trial behind it is linked in pooled_trials"
    assert np.all(frame["measure"].isin(["MD", "SMD", "RR", "OR"]))
