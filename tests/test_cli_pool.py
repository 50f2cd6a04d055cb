"""`k2data pool`: the per-study table and pooled result, or exactly why not; forest plots; --compare."""
import json
import math
import re

import pytest

import k2data
from k2data import meta
from k2data.cli import main
from k2data.meta.compare import living_comparison, to_markdown

from .conftest import ROOT


def run(capsys, *argv):
    code = main(["pool", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_lumbar_spine_bmd_says_precisely_why_it_cannot_pool(capsys):
    code, out, err = run(capsys, "bmd_lumbar_spine")
    assert code == 1 and not err
    assert "Cannot pool: mean differences on different scales cannot be pooled (change, g/cm2" in out
    assert "Bartstra 2021" in out and "Levy-Schousboe 2023" in out
    assert "je2011_o1 (Je 2011): no arm means and SDs (missing n_k2, n_comparator)" in out
    outcomes, studies = k2data.load("outcomes"), k2data.load("studies")
    rct = set(studies.loc[studies["design"] == "rct", "study_id"])
    rows = ((outcomes["outcome"] == "bmd_lumbar_spine") & outcomes["study_id"].isin(rct)).sum()
    assert f"designs rct, retracted studies excluded; {rows} outcome rows" in out


def test_a_pooled_run_prints_studies_and_result_and_writes_the_plot(capsys, tmp_path):
    plot = tmp_path / "forest.svg"
    code, out, err = run(capsys, "fracture_any", "--include-retracted", "--plot", str(plot), "--format", "json")
    assert code == 0 and not err
    report = json.loads(out)
    assert [s["outcome_id"] for s in report["studies"]] == ["sato2002_o2", "jiang2014_o4"]
    outcomes = k2data.load("outcomes")
    expected = meta.from_outcomes(outcomes[outcomes["outcome_id"].isin(["sato2002_o2", "jiang2014_o4"])], "RR",
                                  exclude_retracted=False).pool()
    assert report["pooled"]["estimate"] == pytest.approx(expected.estimate)
    assert report["pooled"]["ratio"]["estimate"] == pytest.approx(math.exp(expected.estimate))
    assert report["pooled"]["method"] == "REML" and report["cannot_pool"] is None
    assert plot.read_text().startswith("<svg")


def test_text_output_and_the_method_and_test_options(capsys):
    code, out, _ = run(capsys, "fracture_any", "--include-retracted", "--method", "dl", "--test", "knha")
    assert code == 0
    assert re.search(r"^Pooled \(DL, Hartung-Knapp test\): RR [0-9.]+ \[", out, re.M)
    assert re.search(r"^Sato 2002 \(retracted\) +sato2002_o2 +0\.1 ", out, re.M)  # marked as in the plot


def test_retracted_studies_are_left_out_by_default(capsys):
    code, out, _ = run(capsys, "fracture_any")
    assert code == 1
    assert "Cannot pool: only Jiang 2014 has usable numbers for RR" in out
    assert "sato2002_o2 (Sato 2002): retracted study" in out


def test_a_study_with_an_integrity_concern_is_marked_or_left_out_on_request(capsys):
    code, out, _ = run(capsys, "fracture_nonvertebral")
    assert code == 1 and "Sato 2011 (integrity concern) sato2011_o2" in out
    code, out, _ = run(capsys, "fracture_nonvertebral", "--exclude-concerns", "--format", "json")
    data = json.loads(out)
    assert data["exclude_concerns"] is True and data["studies"] == []
    reasons = {row["outcome_id"]: row["reason"] for row in data["dropped"]}
    assert reasons["sato2011_o2"].startswith("integrity concern (author_misconduct)")


@pytest.mark.parametrize("argv, message", [
    (["bmd_lumbar"], "'bmd_lumbar' is not an outcome term; did you mean bmd_lumbar_spine"),
    (["bmd_lumbar_spine", "--design", "trial"], "unknown design trial"),
    (["bmd_lumbar_spine", "--format", "markdown"], "--format markdown is for --compare"),
    ([], "name an outcome term"),
    (["bmd_lumbar_spine", "--plot", "out.pdf"], "writes .svg, .png or .html"),
    (["fracture_any", "--design", ""], "--design names no design"),
    (["fracture_any", "--compare", "--plot", "y.svg"], "does not go with --compare"),
    (["--compare", "--exclude-concerns"], "--exclude-concerns pools one term; it does not go with --compare"),
    (["fracture_any", "--measure", "hr"], "invalid choice: 'HR'"),
    (["FRACTURE_ANY"], "did you mean fracture_any"),
])
def test_unusable_input_exits_2_with_the_reason_in_one_line(capsys, argv, message):
    try:
        code = main(["pool", *argv])
    except SystemExit as exit_:  # argparse's own mistakes
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2 and not out and message in err and err.count("\n") == 1


def test_an_existing_plot_file_is_never_overwritten(capsys, tmp_path):
    plot = tmp_path / "mine.svg"
    plot.write_text("keep me")
    code, _, err = run(capsys, "fracture_any", "--include-retracted", "--plot", str(plot))
    assert code == 2 and "exists already" in err and plot.read_text() == "keep me"


def test_a_png_plot_is_drawn_at_twice_the_size_and_an_upper_case_suffix_works(capsys, tmp_path):
    code, out, _ = run(capsys, "fracture_any", "--include-retracted", "--plot", str(tmp_path / "F.PNG"))
    png = (tmp_path / "F.PNG").read_bytes()
    assert code == 0 and png[:4] == b"\x89PNG" and int.from_bytes(png[16:20], "big") > 1200


def test_design_all_takes_every_design(capsys):
    _, out, _ = run(capsys, "fracture_any", "--design", "all", "--include-retracted")
    assert "suzuki2012_o6 (Suzuki 2012): no event counts" in out  # a non-randomised trial, not filtered out


def test_compare_prints_published_beside_ours_with_the_missing_numbers(capsys):
    code, out, _ = run(capsys, "fracture_vertebral", "--compare")
    assert code == 0
    assert "mott2019_o3 (Mott 2019, fracture_vertebral): published OR 0.96 [0.83, 1.11]" in out
    assert "Ishida 2004: no event counts (missing k2_events, n_k2) and its reported effect is rr, not or" in out


def test_the_docs_table_is_the_generated_comparison():
    text = (ROOT / "docs" / "living-comparison.md").read_text()
    table = text.split("<!-- generated by: k2data pool --compare --format markdown -->\n")[1]
    table = table.split("<!-- end of generated table -->")[0]
    assert table == to_markdown(living_comparison())
