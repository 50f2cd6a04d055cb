"""k2data.meta against R's metafor: escalc and rma on metafor's reference data sets, and against statsmodels.

tests/reference/metafor.json was written by tests/reference/metafor.R with metafor 3.8-1. Where metafor's
own documentation or test suite prints a figure (to 4 decimals), that published figure is pinned too.
Tolerances, as PyMARE states them: effect sizes to 1e-9 and FE/DL/REML fits to 1e-6 relative; Paule-Mandel
to 1e-3, because metafor stops its root search early (its τ² is 3e-5 off the root; a p value near 1e-4
moves by 5e-4 of itself), while ours solves the PM equation to 1e-9;
published 4-decimal figures to half a unit in the last place.
"""
import json
import math

import numpy as np
import pytest
from scipy import optimize
from statsmodels.stats.meta_analysis import combine_effects

from k2data.meta import escalc, pool

from .conftest import ROOT

REFERENCE = json.loads((ROOT / "tests" / "reference" / "metafor.json").read_text())
MEASURES = {"bcg_rr": "RR", "bcg_or": "OR", "normand_md": "MD", "normand_smd": "SMD", "hine_rd": "RD",
            "zero_rr": "RR", "zero_or": "OR", "zero_rd": "RD"}
FITS = [(case, key) for case in REFERENCE if isinstance(REFERENCE[case], dict) and "fits" in REFERENCE[case]
        for key in REFERENCE[case]["fits"]]
PUBLISHED = 5.1e-5  # half a unit in the 4th decimal


def combine(yi, vi, method_re, **options):
    """statsmodels' combine_effects, quiet about the square root of its negative DL variances."""
    with np.errstate(invalid="ignore"):
        return combine_effects(np.asarray(yi), np.asarray(vi), method_re=method_re, **options)


def test_the_reference_came_from_metafor_3_8():
    assert REFERENCE["metafor"].startswith("3.8")


@pytest.mark.parametrize("case", sorted(MEASURES))
def test_escalc_matches_metafor(case):
    yi, vi = escalc(MEASURES[case], **REFERENCE[case]["input"])
    np.testing.assert_allclose(yi, REFERENCE[case]["yi"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(vi, REFERENCE[case]["vi"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case, key", FITS)
def test_pool_matches_metafor(case, key):
    method, test = key.split("_")
    expected = REFERENCE[case]["fits"][key]
    result = pool(REFERENCE[case]["yi"], REFERENCE[case]["vi"], method="FE" if method == "EE" else method, test=test)
    rtol = 1e-3 if method == "PM" else 1e-6
    assert result.k == expected["k"]
    for name, value in expected.items():
        if value is None:
            assert math.isnan(getattr(result, name)), name
        elif name != "k":
            assert getattr(result, name) == pytest.approx(value, rel=rtol, abs=1e-10), (name, getattr(result, name), value)


def test_published_bcg_figures_from_metafors_test_suite():
    # tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r: EE and DL log risk ratios (as Stata's metan)
    yi, vi = escalc("RR", **REFERENCE["bcg_rr"]["input"])
    fe, dl = pool(yi, vi, method="FE"), pool(yi, vi, method="DL")
    assert (fe.estimate, fe.ci_lower, fe.ci_upper) == pytest.approx((-0.4303, -0.5097, -0.3509), abs=PUBLISHED)
    assert fe.estimate / fe.se == pytest.approx(-10.6247, abs=PUBLISHED)
    assert fe.q == pytest.approx(152.2330, abs=PUBLISHED)
    assert (dl.estimate, dl.ci_lower, dl.ci_upper) == pytest.approx((-0.7141, -1.0644, -0.3638), abs=PUBLISHED)


def test_published_normand1999_figures_from_metafor_project_org():
    # metafor-project.org, analyses:normand1999: SMD of hospital stay, REML tau^2 = 0.7908
    yi, vi = escalc("SMD", **REFERENCE["normand_smd"]["input"])
    assert pool(yi, vi).tau2 == pytest.approx(0.7908, abs=PUBLISHED)
    # ... and Hine (1989) risk differences (Table III of Normand 1999)
    rd, _ = escalc("RD", **REFERENCE["hine_rd"]["input"])
    assert rd == pytest.approx([0.0280, 0.0000, 0.0197, 0.0180, 0.0353, 0.0440], abs=PUBLISHED)


def test_our_paule_mandel_tau2_solves_the_pm_equation_more_tightly_than_metafor():
    yi, vi = np.array(REFERENCE["bcg_or"]["yi"]), np.array(REFERENCE["bcg_or"]["vi"])

    def generalised_q(tau2):
        w = 1 / (vi + tau2)
        mu = np.sum(w * yi) / np.sum(w)
        return np.sum(w * (yi - mu) ** 2) - (len(yi) - 1)

    ours = pool(yi, vi, method="PM").tau2
    assert abs(generalised_q(ours)) < 1e-9
    assert abs(generalised_q(REFERENCE["bcg_or"]["fits"]["PM_z"]["tau2"])) > abs(generalised_q(ours))


def test_dl_tau2_is_clamped_where_statsmodels_goes_negative():
    yi, vi = REFERENCE["homogeneous"]["yi"], REFERENCE["homogeneous"]["vi"]
    raw = combine(yi, vi, "dl")
    assert raw.tau2 < 0 and raw.i2 < 0  # the pitfall: Q < k - 1
    result = pool(yi, vi, method="DL")
    assert result.tau2 == 0 and result.i2 == 0
    assert result.estimate == pytest.approx(REFERENCE["homogeneous"]["fits"]["DL_z"]["estimate"], rel=1e-12)
    assert result.estimate != pytest.approx(raw.mean_effect_re, rel=1e-6)


def random_studies(seed: int):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 30))
    vi = rng.uniform(0.01, 1.0, k)
    yi = rng.normal(rng.normal(0, 1), np.sqrt(vi + rng.choice([0.0, rng.uniform(0, 1)])))
    return yi, vi


@pytest.mark.parametrize("seed", range(40))
def test_agrees_with_statsmodels_on_random_studies(seed):
    yi, vi = random_studies(seed)
    fe = pool(yi, vi, method="FE")
    sm = combine(yi, vi, "dl")
    assert (fe.estimate, fe.se, fe.q) == pytest.approx((sm.mean_effect_fe, sm.sd_eff_w_fe, sm.q), rel=1e-10)
    for method, method_re in (("DL", "dl"), ("PM", "iterated")):
        sm = combine(yi, vi, method_re, **({"atol": 1e-12, "maxiter": 500} if method == "PM" else {}))
        ours, knha = pool(yi, vi, method=method), pool(yi, vi, method=method, test="knha")
        assert ours.tau2 == pytest.approx(max(0.0, sm.tau2), rel=1e-6, abs=1e-12)
        if sm.tau2 >= 0:  # statsmodels' figures stand only where its tau2 does
            assert (ours.estimate, ours.se) == pytest.approx((sm.mean_effect_re, sm.sd_eff_w_re), rel=1e-6)
            assert knha.se == pytest.approx(math.sqrt(sm.var_hksj_re), rel=1e-6)


@pytest.mark.parametrize("seed", range(40))
def test_reml_maximises_the_restricted_likelihood(seed):
    yi, vi = random_studies(seed)

    def minus_restricted_loglik(tau2):
        w = 1 / (vi + tau2)
        mu = np.sum(w * yi) / np.sum(w)
        return 0.5 * (np.sum(np.log(vi + tau2)) + np.log(np.sum(w)) + np.sum(w * (yi - mu) ** 2))

    found = optimize.minimize_scalar(minus_restricted_loglik, bounds=(0, 50), method="bounded",
                                     options={"xatol": 1e-10})
    ours = pool(yi, vi).tau2
    assert minus_restricted_loglik(ours) <= minus_restricted_loglik(found.x) + 1e-9
    assert ours == pytest.approx(found.x, abs=1e-4)


@pytest.mark.parametrize("yi, vi, message", [
    ([0.1], [0.1], "at least 2 studies"),
    ([0.1, 0.2], [0.1], "pair up"),
    ([0.1, float("nan")], [0.1, 0.1], "study 1"),
    ([0.1, 0.2], [0.1, 0.0], "above 0"),
])
def test_unusable_input_is_refused_with_the_reason(yi, vi, message):
    with pytest.raises(ValueError, match=message):
        pool(yi, vi)


def test_unknown_method_test_or_level():
    with pytest.raises(ValueError, match="REML, DL, PM, FE"):
        pool([0.1, 0.2], [0.1, 0.1], method="HS")
    with pytest.raises(ValueError, match="z, knha"):
        pool([0.1, 0.2], [0.1, 0.1], test="t")
    with pytest.raises(ValueError, match="percentage"):
        pool([0.1, 0.2], [0.1, 0.1], level=0.95)


def test_to_frame_is_one_row_with_every_figure_and_the_ratio_scale():
    result = pool(REFERENCE["bcg_rr"]["yi"], REFERENCE["bcg_rr"]["vi"], measure="RR")
    frame = result.to_frame()
    assert len(frame) == 1 and frame.loc[0, "measure"] == "RR" and frame.loc[0, "k"] == 13
    assert frame.loc[0, "level"] == 95
    assert {"estimate", "se", "ci_lower", "ci_upper", "tau2", "i2", "q", "pi_lower", "pi_upper"} <= set(frame.columns)
    assert frame.loc[0, "ratio"] == pytest.approx(math.exp(-0.714532), rel=1e-6)
    assert frame.loc[0, "ratio_pi_upper"] == pytest.approx(math.exp(result.pi_upper))


def test_identical_studies_give_q_zero_not_a_rounding_error():
    result = pool([0.3, 0.3, 0.3], [0.1, 0.2, 0.3])
    assert result.q == 0 and result.tau2 == 0 and result.i2 == 0
