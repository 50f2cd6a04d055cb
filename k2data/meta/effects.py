"""Effect sizes from arm-level numbers or a reported effect, computed as metafor's escalc does.

Every function takes arrays (or scalars) and returns NumPy arrays; a study whose inputs are missing gets
NaN. Differences are K2 minus comparator; ratios are on the log scale.
"""
from __future__ import annotations

import numpy as np

MEASURES = ("MD", "SMD", "RR", "OR", "RD")
RATIOS = ("RR", "OR")  # measures on the log scale
NAMES = {"MD": "Mean difference", "SMD": "Standardised mean difference (Hedges' g)", "RR": "Risk ratio",
         "OR": "Odds ratio", "RD": "Risk difference"}
Z95 = 1.959963984540054  # the normal quantile of a 95% interval
ARM_MEANS = ("k2_mean", "k2_sd", "n_k2", "comparator_mean", "comparator_sd", "n_comparator")
ARM_EVENTS = ("k2_events", "n_k2", "comparator_events", "n_comparator")
REPORTED = ("effect_value", "ci_lower", "ci_upper")


def _array(value) -> np.ndarray:
    """Floats, with every non-finite value (a blank, an infinity) as NaN."""
    values = np.asarray(value, dtype="float64")
    return np.where(np.isfinite(values), values, np.nan)


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - level / 100) / 2))


def hedges_correction(df) -> np.ndarray:
    """The exact small-sample correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) for Hedges' g."""
    from scipy.special import gammaln

    m = _array(df)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))


def mean_difference(k2_mean, k2_sd, n_k2, comparator_mean, comparator_sd, n_comparator):
    """MD = m1 − m2 with variance sd1²/n1 + sd2²/n2 (metafor's default, vtype="LS")."""
    m1, s1, n1, m2, s2, n2 = map(_array, (k2_mean, k2_sd, n_k2, comparator_mean, comparator_sd, n_comparator))
    return m1 - m2, s1 ** 2 / n1 + s2 ** 2 / n2


def standardized_mean_difference(k2_mean, k2_sd, n_k2, comparator_mean, comparator_sd, n_comparator):
    """SMD as Hedges' g: the pooled-SD d times the exact correction; variance 1/n1 + 1/n2 + g²/(2(n1+n2))."""
    m1, s1, n1, m2, s2, n2 = map(_array, (k2_mean, k2_sd, n_k2, comparator_mean, comparator_sd, n_comparator))
    pooled = np.sqrt(((n1 - 1) * s1 ** 2 + (n2 - 1) * s2 ** 2) / (n1 + n2 - 2))
    g = hedges_correction(n1 + n2 - 2) * (m1 - m2) / pooled
    return g, 1 / n1 + 1 / n2 + g ** 2 / (2 * (n1 + n2))


def _cells(k2_events, n_k2, comparator_events, n_comparator):
    """The 2×2 cells, with 1/2 added to every cell of a study that has a zero cell (metafor's to="only0")."""
    a, n1, c, n2 = map(_array, (k2_events, n_k2, comparator_events, n_comparator))
    b, d = n1 - a, n2 - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (np.where(zero, cell + 0.5, cell) for cell in (a, b, c, d))
    return a, b, c, d


def log_risk_ratio(k2_events, n_k2, comparator_events, n_comparator):
    """log RR with variance 1/a − 1/n1 + 1/c − 1/n2."""
    a, b, c, d = _cells(k2_events, n_k2, comparator_events, n_comparator)
    return np.log((a / (a + b)) / (c / (c + d))), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)


def log_odds_ratio(k2_events, n_k2, comparator_events, n_comparator):
    """log OR with variance 1/a + 1/b + 1/c + 1/d."""
    a, b, c, d = _cells(k2_events, n_k2, comparator_events, n_comparator)
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def risk_difference(k2_events, n_k2, comparator_events, n_comparator):
    """RD = p1 − p2 with variance p1(1−p1)/n1 + p2(1−p2)/n2, from the (zero-corrected) cells."""
    a, b, c, d = _cells(k2_events, n_k2, comparator_events, n_comparator)
    p1, p2 = a / (a + b), c / (c + d)
    return p1 - p2, p1 * (1 - p1) / (a + b) + p2 * (1 - p2) / (c + d)


def from_confidence_interval(effect_value, ci_lower, ci_upper, *, ratio: bool, level: float = 95):
    """A reported effect with its CI: SE = (upper − lower) / (2 z), on the log scale for a ratio."""
    value, lower, upper = map(_array, (effect_value, ci_lower, ci_upper))
    if ratio:
        with np.errstate(invalid="ignore", divide="ignore"):
            value, lower, upper = np.log(value), np.log(lower), np.log(upper)
    se = (upper - lower) / (2 * _z(level))
    return value, se ** 2


def se_to_sd(se, n) -> np.ndarray:
    """SD = SE × √n: the spread of one arm from the standard error of its mean."""
    return _array(se) * np.sqrt(_array(n))


def change_sd(sd_baseline, sd_followup, correlation: float = 0.5) -> np.ndarray:
    """SD of a change score from the baseline and follow-up SDs and an assumed correlation r:
    √(sd_b² + sd_f² − 2 r sd_b sd_f) (Cochrane Handbook 6.5.2.8)."""
    if not -1 <= correlation <= 1:
        raise ValueError(f"correlation must lie between -1 and 1, not {correlation}")
    b, f = _array(sd_baseline), _array(sd_followup)
    return np.sqrt(b ** 2 + f ** 2 - 2 * correlation * b * f)


ARM_FUNCTIONS = {"MD": mean_difference, "SMD": standardized_mean_difference, "RR": log_risk_ratio,
                 "OR": log_odds_ratio, "RD": risk_difference}


def _check_arm_numbers(measure: str, columns: dict) -> None:
    """ValueError naming the first study whose arm numbers cannot be right (blanks are fine)."""
    values = {name: _array(value) for name, value in columns.items()}
    checks = [(name, values[name] < 1, "a group size is at least 1") for name in ("n_k2", "n_comparator") if name in values]
    checks += [(name, values[name] < 0, "a standard deviation is not negative") for name in ("k2_sd", "comparator_sd")
               if name in values]
    for events, n in (("k2_events", "n_k2"), ("comparator_events", "n_comparator")):
        if events in values:
            checks.append((events, values[events] < 0, "an event count is not negative"))
            checks.append((events, values[events] > values[n], f"an event count does not exceed {n}"))
    for name, bad, rule in checks:
        bad = np.atleast_1d(np.asarray(bad))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"escalc({measure!r}): study {i} has {name} = {np.atleast_1d(values[name])[i]:g}; {rule}")


def escalc(measure: str, *, level: float = 95, **columns):
    """Effect sizes (yi, vi) for one measure, from arrays named after the outcome columns.

    MD and SMD take k2_mean, k2_sd, n_k2, comparator_mean, comparator_sd, n_comparator (SDs, not SEs:
    convert with se_to_sd). RR, OR and RD take k2_events, n_k2, comparator_events, n_comparator.
    Any measure also takes a reported effect_value, ci_lower and ci_upper (a ratio as printed, not
    logged); where a study has both, its arm-level numbers are used.
    """
    measure = measure.upper()
    if measure not in ARM_FUNCTIONS:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    arm_names = ARM_MEANS if measure in ("MD", "SMD") else ARM_EVENTS
    known = set(arm_names) | set(REPORTED)
    unknown = sorted(set(columns) - known)
    if unknown:
        raise TypeError(f"escalc({measure!r}) takes {', '.join(sorted(known))}; not {', '.join(unknown)}")
    arm = [name for name in arm_names if name in columns]
    reported = [name for name in REPORTED if name in columns]
    if arm and len(arm) != len(arm_names):
        raise TypeError(f"escalc({measure!r}) needs all of {', '.join(arm_names)}; missing "
                        f"{', '.join(name for name in arm_names if name not in columns)}")
    if reported and len(reported) != len(REPORTED):
        raise TypeError("a reported effect needs effect_value, ci_lower and ci_upper")
    if not arm and not reported:
        raise TypeError(f"escalc({measure!r}) needs {', '.join(arm_names)} or effect_value, ci_lower, ci_upper")
    _check_arm_numbers(measure, {name: columns[name] for name in arm})
    size = np.broadcast(*(np.asarray(columns[name], dtype="float64") for name in arm + reported)).shape
    yi, vi = np.full(size, np.nan), np.full(size, np.nan)
    if reported:
        yi[...], vi[...] = from_confidence_interval(*(columns[name] for name in REPORTED),
                                                ratio=measure in RATIOS, level=level)
    if arm:
        with np.errstate(invalid="ignore", divide="ignore"):
            arm_yi, arm_vi = ARM_FUNCTIONS[measure](*(columns[name] for name in arm_names))
        usable = np.isfinite(arm_yi) & np.isfinite(arm_vi)
        yi, vi = np.where(usable, arm_yi, yi), np.where(usable, arm_vi, vi)
    bad = ~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0))
    yi[bad], vi[bad] = np.nan, np.nan
    return yi, vi
