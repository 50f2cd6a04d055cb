"""Pooling effect sizes: fixed effect (FE) and random effects with the DL, PM or REML estimator of τ².

statsmodels' `combine_effects` gives Q and the DL and Paule-Mandel τ²; its DL τ² goes negative when
Q < k − 1, so τ² is clamped at zero before any weight is computed. REML (Fisher scoring, as metafor) and
the Hartung-Knapp test are written here. Results match R's metafor 3.8 (tests/reference/).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

METHODS = ("REML", "DL", "PM", "FE")
TESTS = ("z", "knha")


@dataclass(frozen=True)
class PoolResult:
    """A pooled estimate. Ratios (RR, OR) are on the log scale; `exp()` of the bounds gives the ratio."""

    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pval: float
    tau2: float
    i2: float
    q: float
    q_pval: float
    pi_lower: float
    pi_upper: float
    studies: pd.DataFrame = field(repr=False, compare=False)
    measure: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row: the pooled result's numbers, with the method, test, level and measure; for a ratio
        (RR, OR) also the estimate and its intervals back on the ratio scale (ratio, ratio_ci_lower, ...)."""
        names = ["measure", "method", "test", "level", "k", "estimate", "se", "ci_lower", "ci_upper", "pval",
                 "tau2", "i2", "q", "q_pval", "pi_lower", "pi_upper"]
        row = {name: getattr(self, name) for name in names}
        if self.measure in ("RR", "OR"):
            for name in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper"):
                row["ratio" if name == "estimate" else f"ratio_{name}"] = float(np.exp(getattr(self, name)))
        return pd.DataFrame([row])


def _checked(yi, vi) -> tuple[np.ndarray, np.ndarray]:
    yi, vi = np.asarray(yi, dtype="float64").ravel(), np.asarray(vi, dtype="float64").ravel()
    if yi.shape != vi.shape:
        raise ValueError(f"yi has {yi.size} values and vi {vi.size}; they must pair up")
    bad = [i for i in range(yi.size) if not (np.isfinite(yi[i]) and np.isfinite(vi[i]) and vi[i] > 0)]
    if bad:
        raise ValueError(f"study {bad[0]} (of {yi.size}) has yi={yi[bad[0]]}, vi={vi[bad[0]]}: every yi must be "
                         "finite and every vi finite and above 0; drop the studies that cannot be used first")
    if yi.size < 2:
        raise ValueError(f"pooling needs at least 2 studies; got {yi.size}")
    return yi, vi


def _combine(yi, vi, method_re: str):
    """statsmodels' combine_effects, quiet about the square root of its own negative DL variance."""
    from statsmodels.stats.meta_analysis import combine_effects

    extra = {"atol": 1e-12, "maxiter": 500} if method_re == "iterated" else {}
    with np.errstate(invalid="ignore"):
        return combine_effects(yi, vi, method_re=method_re, **extra)


def tau2_reml(yi: np.ndarray, vi: np.ndarray, *, tol: float = 1e-10, max_iter: int = 200) -> float:
    """REML τ² by Fisher scoring from the DL value, halving a step that leaves [0, ∞)."""
    tau2 = max(0.0, _combine(yi, vi, "dl").tau2)
    for _ in range(max_iter):
        w = 1 / (vi + tau2)
        mu = np.sum(w * yi) / np.sum(w)
        p_trace = np.sum(w) - np.sum(w ** 2) / np.sum(w)
        score = np.sum(w ** 2 * (yi - mu) ** 2) - p_trace
        info = np.sum(w ** 2) - 2 * np.sum(w ** 3) / np.sum(w) + (np.sum(w ** 2) / np.sum(w)) ** 2
        step = score / info
        new = tau2 + step
        while new < 0 and step > tol:  # step halving keeps the estimate in the parameter space
            step /= 2
            new = tau2 + step
        new = max(new, 0.0)
        if abs(new - tau2) < tol * max(1.0, tau2):
            return new
        tau2 = new
    raise RuntimeError(f"REML did not converge in {max_iter} iterations")


def pool(yi, vi, *, method: str = "REML", test: str = "z", level: float = 95, labels=None,
         measure: str = "") -> PoolResult:
    """Pool effect sizes yi with sampling variances vi.

    method: "REML" (default), "DL" (DerSimonian-Laird), "PM" (Paule-Mandel) or "FE" (fixed effect).
    test: "z" (normal) or "knha" (Hartung-Knapp, t with k − 1 df). The prediction interval (random
    effects only) is estimate ± crit × √(τ² + se²), crit from the same distribution as the CI.
    labels names the studies in `.studies` and in forest plots.
    """
    from scipy import stats

    method, test = method.upper(), test.lower()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; choose one of {', '.join(TESTS)}")
    if not 50 <= level < 100:
        raise ValueError(f"level is a percentage such as 95 (from 50 up to 100), not {level}")
    yi, vi = _checked(yi, vi)
    k = yi.size
    sm = _combine(yi, vi, "iterated" if method == "PM" else "dl")
    q = max(0.0, float(sm.q))  # a rounding error can make Q of identical studies slightly negative
    if method == "FE":
        tau2 = 0.0
    elif method == "REML":
        tau2 = tau2_reml(yi, vi)
    else:
        tau2 = max(0.0, float(sm.tau2))  # statsmodels' DL is negative when Q < k - 1
    w = 1 / (vi + tau2)
    estimate = float(np.sum(w * yi) / np.sum(w))
    if test == "knha":
        se = float(np.sqrt(np.sum(w * (yi - estimate) ** 2) / ((k - 1) * np.sum(w))))
        dist = stats.t(k - 1)
    else:
        se = float(np.sqrt(1 / np.sum(w)))
        dist = stats.norm()
    crit = float(dist.ppf(1 - (1 - level / 100) / 2))
    fixed_w = 1 / vi
    typical = (k - 1) * np.sum(fixed_w) / (np.sum(fixed_w) ** 2 - np.sum(fixed_w ** 2))
    i2 = max(0.0, (q - (k - 1)) / q) * 100 if method == "FE" else 100 * tau2 / (tau2 + typical)
    half_pi = crit * np.sqrt(tau2 + se ** 2)
    labels = [f"study {i + 1}" for i in range(k)] if labels is None else [str(label) for label in labels]
    if len(labels) != k:
        raise ValueError(f"{len(labels)} labels for {k} studies")
    study_crit = float(stats.norm.ppf(1 - (1 - level / 100) / 2))
    studies = pd.DataFrame({"label": labels, "yi": yi, "vi": vi,
                            "ci_lower": yi - study_crit * np.sqrt(vi), "ci_upper": yi + study_crit * np.sqrt(vi),
                            "weight": 100 * w / np.sum(w)})
    return PoolResult(
        method=method, test=test, level=level, k=k, estimate=estimate, se=se,
        ci_lower=estimate - crit * se, ci_upper=estimate + crit * se,
        pval=float(2 * dist.sf(abs(estimate / se))), tau2=float(tau2), i2=float(i2), q=q,
        q_pval=float(stats.chi2.sf(q, k - 1)),
        pi_lower=float("nan") if method == "FE" else float(estimate - half_pi),
        pi_upper=float("nan") if method == "FE" else float(estimate + half_pi),
        studies=studies, measure=measure)
