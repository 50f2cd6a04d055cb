"""Every conversion of k2data.meta.effects against a value computed by hand (the arithmetic is in the comments)."""
import math

import numpy as np
import pytest

from k2data.meta import change_sd, escalc, se_to_sd

ARMS = dict(k2_mean=10.0, k2_sd=2.0, n_k2=20, comparator_mean=8.0, comparator_sd=3.0, n_comparator=25)
EVENTS = dict(k2_events=2, n_k2=108, comparator_events=4, n_comparator=105)


def one(measure, **columns):
    yi, vi = escalc(measure, **columns)
    return float(yi[()] if yi.ndim == 0 else yi[0]), float(vi[()] if vi.ndim == 0 else vi[0])


def test_mean_difference():
    # yi = 10 - 8; vi = 2²/20 + 3²/25 = 0.2 + 0.36
    assert one("MD", **ARMS) == pytest.approx((2.0, 0.56), abs=1e-12)


def test_smd_is_hedges_g_with_the_exact_correction():
    # pooled SD = √((19·4 + 24·9) / 43) = 2.605897; d = 2 / 2.605897 = 0.767490
    # J(43) = Γ(21.5) / (√21.5 · Γ(21)) = 0.982439 (the 1 − 3/(4·43 − 1) approximation gives 0.982456)
    # g = 0.982439 · 0.767490 = 0.754012; vi = 1/20 + 1/25 + g² / (2 · 45) = 0.096317
    g, vi = one("SMD", **ARMS)
    assert g == pytest.approx(0.7540122, abs=1e-6)
    assert vi == pytest.approx(0.0963170, abs=1e-6)
    assert g != pytest.approx(0.7674901 * (1 - 3 / 171), abs=1e-6)  # not the approximate correction


def test_log_risk_ratio_without_a_zero_cell_adds_nothing():
    # RR = (2/108) / (4/105) = 0.486111; vi = 1/2 − 1/108 + 1/4 − 1/105 = 0.731217
    yi, vi = one("RR", **EVENTS)
    assert yi == pytest.approx(math.log(0.4861111), abs=1e-6)
    assert vi == pytest.approx(0.7312169, abs=1e-6)


def test_a_zero_cell_adds_one_half_to_every_cell_of_that_study_only():
    # study 1: cells 0, 10, 3, 7 -> 0.5, 10.5, 3.5, 7.5: RR = (0.5/11) / (3.5/11) = 1/7
    # vi = 1/0.5 − 1/11 + 1/3.5 − 1/11 = 2.103896; study 2 is EVENTS, untouched
    yi, vi = escalc("RR", k2_events=[0, 2], n_k2=[10, 108], comparator_events=[3, 4], n_comparator=[10, 105])
    assert yi == pytest.approx([math.log(1 / 7), math.log(0.4861111)], abs=1e-6)
    assert vi == pytest.approx([2.1038961, 0.7312169], abs=1e-6)


def test_log_odds_ratio():
    # OR = 2·101 / (106·4) = 0.476415; vi = 1/2 + 1/106 + 1/4 + 1/101 = 0.769335
    yi, vi = one("OR", **EVENTS)
    assert yi == pytest.approx(math.log(202 / 424), abs=1e-9)
    assert vi == pytest.approx(0.7693350, abs=1e-6)


def test_risk_difference():
    # p1 = 2/108 = 0.018519, p2 = 4/105 = 0.038095; RD = −0.019577
    # vi = p1(1 − p1)/108 + p2(1 − p2)/105 = 0.00051728
    yi, vi = one("RD", **EVENTS)
    assert yi == pytest.approx(-0.0195767, abs=1e-7)
    assert vi == pytest.approx(0.00051728, abs=1e-8)


def test_a_reported_ratio_with_its_ci_is_taken_on_the_log_scale():
    # RR 0.44 (0.20 to 0.99): yi = ln 0.44 = −0.820981; SE = (ln 0.99 − ln 0.20) / (2 · 1.959964) = 0.408014
    yi, vi = one("RR", effect_value=0.44, ci_lower=0.20, ci_upper=0.99)
    assert yi == pytest.approx(-0.8209806, abs=1e-6)
    assert vi == pytest.approx(0.408014 ** 2, abs=1e-6)


def test_a_reported_difference_with_its_ci():
    # MD 0.05 (0.015 to 0.085): SE = 0.07 / 3.919928 = 0.0178575
    yi, vi = one("MD", effect_value=0.05, ci_lower=0.015, ci_upper=0.085)
    assert (yi, vi) == pytest.approx((0.05, 0.000318889), abs=1e-9)


def test_a_90_percent_ci_uses_its_own_critical_value():
    # SE = 0.07 / (2 · 1.644854)
    yi, vi = escalc("MD", level=90, effect_value=[0.05], ci_lower=[0.015], ci_upper=[0.085])
    assert vi[0] == pytest.approx((0.07 / 3.289707) ** 2, rel=1e-6)


def test_se_to_sd():
    assert float(se_to_sd(0.5, 16)) == pytest.approx(2.0)  # 0.5 · √16
    assert se_to_sd([0.5, 1.0], [16, 25]).tolist() == pytest.approx([2.0, 5.0])


def test_change_score_sd_from_baseline_and_follow_up():
    assert float(change_sd(10, 12)) == pytest.approx(math.sqrt(124))  # 100 + 144 − 2·0.5·10·12
    assert float(change_sd(10, 12, correlation=0.0)) == pytest.approx(math.sqrt(244))
    assert float(change_sd(10, 12, correlation=0.8)) == pytest.approx(math.sqrt(52))  # 244 − 192
    with pytest.raises(ValueError, match="between -1 and 1"):
        change_sd(10, 12, correlation=1.5)


def test_arm_numbers_win_where_complete_and_the_reported_effect_fills_the_rest():
    yi, vi = escalc("MD", k2_mean=[10, np.nan], k2_sd=[2, np.nan], n_k2=[20, np.nan], comparator_mean=[8, np.nan],
                    comparator_sd=[3, np.nan], n_comparator=[25, np.nan], effect_value=[9.0, 0.05],
                    ci_lower=[8.0, 0.015], ci_upper=[10.0, 0.085])
    assert yi.tolist() == pytest.approx([2.0, 0.05])
    assert vi.tolist() == pytest.approx([0.56, 0.000318889], abs=1e-9)


def test_a_study_without_numbers_gets_nan_not_an_error():
    yi, vi = escalc("RR", k2_events=[np.nan, 2], n_k2=[10, 108], comparator_events=[1, 4], n_comparator=[10, 105])
    assert math.isnan(yi[0]) and math.isnan(vi[0]) and not math.isnan(yi[1])


@pytest.mark.parametrize("columns, message", [
    (dict(EVENTS, k2_events=[2, 109]), "study 1 has k2_events = 109; an event count does not exceed n_k2"),
    (dict(EVENTS, comparator_events=-1), "comparator_events = -1; an event count is not negative"),
    (dict(EVENTS, n_comparator=0), "n_comparator = 0; a group size is at least 1"),
])
def test_impossible_counts_are_refused(columns, message):
    with pytest.raises(ValueError, match=message):
        escalc("RR", **columns)


def test_a_negative_sd_is_refused():
    with pytest.raises(ValueError, match="k2_sd = -1; a standard deviation is not negative"):
        escalc("MD", **dict(ARMS, k2_sd=-1.0))


@pytest.mark.parametrize("call, error, message", [
    (lambda: escalc("HR", effect_value=1, ci_lower=0.5, ci_upper=2), ValueError, "unknown measure"),
    (lambda: escalc("MD", k2_mean=1, k2_sd=1), TypeError, "missing n_k2"),
    (lambda: escalc("RR", k2_mean=1), TypeError, "not k2_mean"),
    (lambda: escalc("OR", effect_value=1), TypeError, "effect_value, ci_lower and ci_upper"),
    (lambda: escalc("MD"), TypeError, "needs"),
])
def test_wrong_arguments_say_what_is_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()
