"""Forest plots as Altair charts: each study's estimate and CI sized by weight, the pooled diamond and the
prediction interval. Save offline with chart.save("f.svg" | "f.png" | "f.html", inline=True for HTML)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .effects import NAMES, RATIOS
from .pool import PoolResult, pool


def _rows(result: PoolResult) -> pd.DataFrame:
    """One row per study, then the pooled estimate, with positions from the top (0) down."""
    back = np.exp if result.measure in RATIOS else (lambda x: x)
    s = result.studies
    studies = pd.DataFrame({"label": s["label"], "estimate": back(s["yi"]), "lower": back(s["ci_lower"]),
                            "upper": back(s["ci_upper"]), "weight": s["weight"], "kind": "study",
                            "position": np.arange(len(s), dtype=float)})
    pooled = pd.DataFrame({"label": [f"{'Fixed' if result.method == 'FE' else 'Random'}-effects model ({result.method})"],
                           "estimate": [back(result.estimate)], "lower": [back(result.ci_lower)],
                           "upper": [back(result.ci_upper)], "weight": [100.0], "kind": ["pooled"],
                           "position": [len(s) + 0.5]})
    rows = pd.concat([studies, pooled], ignore_index=True)
    rows["text"] = [f"{e:.3g} [{lo:.3g}, {hi:.3g}]" for e, lo, hi in zip(rows["estimate"], rows["lower"], rows["upper"])]
    rows["weight_text"] = [f"{w:.1f}%" if kind == "study" else "" for w, kind in zip(rows["weight"], rows["kind"])]
    return rows


def forest(result_or_frame, *, title: str | None = None, width: int = 360, **pool_options):
    """A forest plot of a PoolResult, or of a frame with yi, vi and label columns (e.g. Effects.table),
    which is pooled first with pool_options (method, test, measure...). Ratios are drawn on a log axis."""
    import altair as alt

    result = result_or_frame
    if not isinstance(result, PoolResult):
        frame = getattr(result, "table", result)
        missing = [name for name in ("yi", "vi") if name not in frame.columns]
        if missing:
            raise ValueError(f"forest() takes a PoolResult or a frame with yi and vi columns; missing {', '.join(missing)}")
        labels = frame["label"] if "label" in frame.columns else None
        pool_options.setdefault("measure", getattr(result, "measure", ""))
        result = pool(frame["yi"], frame["vi"], labels=labels, **pool_options)
    rows = _rows(result)
    ratio = result.measure in RATIOS
    back = np.exp if ratio else (lambda x: x)
    k = result.k
    height = 22 * (k + 2)
    y_scale = alt.Scale(domain=[-0.7, k + 1.4], reverse=True, nice=False)
    y = alt.Y("position:Q", axis=None, scale=y_scale)
    values = np.concatenate([rows[["lower", "upper"]].to_numpy().ravel(),
                             [] if np.isnan(result.pi_lower) else back(np.array([result.pi_lower, result.pi_upper]))])
    null = 1.0 if ratio else 0.0
    low, high = float(min(values.min(), null)), float(max(values.max(), null))
    if ratio:
        domain = [low / 1.1, high * 1.1]
    else:
        pad = (high - low) * 0.05 or 1.0
        domain = [low - pad, high + pad]
    x_title = NAMES.get(result.measure, "Effect") + (" (log scale)" if ratio else "")
    ticks = [t for t in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
             if domain[0] <= t <= domain[1]] if ratio else alt.Undefined
    x = alt.X("estimate:Q", title=x_title, axis=alt.Axis(format="~g", labelOverlap="greedy", values=ticks),
              scale=alt.Scale(type="log" if ratio else "linear", domain=domain, nice=False))
    studies = alt.Chart(rows[rows["kind"] == "study"])
    ci = studies.mark_rule(color="#333").encode(x=x, x2="upper:Q", y=y).transform_calculate(estimate="datum.lower")
    squares = studies.mark_square(color="#1f5f99", opacity=0.9).encode(
        x=x, y=y, size=alt.Size("weight:Q", scale=alt.Scale(range=[30, 300]), legend=None),
        tooltip=["label:N", "text:N", "weight_text:N"])
    p = rows[rows["kind"] == "pooled"].iloc[0]
    half = 0.4
    diamond = pd.DataFrame({"estimate": [p["lower"], p["estimate"], p["upper"]],
                            "top": [p["position"], p["position"] - half, p["position"]],
                            "bottom": [p["position"], p["position"] + half, p["position"]]})
    diamond_mark = alt.Chart(diamond).mark_area(color="#b22222", orient="vertical").encode(
        x=x, y=alt.Y("top:Q", axis=None, scale=y_scale), y2="bottom:Q")
    layers = [ci, squares, diamond_mark,
              alt.Chart(pd.DataFrame({"estimate": [null]})).mark_rule(strokeDash=[4, 3], color="#888").encode(x=x)]
    if not np.isnan(result.pi_lower):
        interval = pd.DataFrame({"estimate": [back(result.pi_lower)], "upper": [back(result.pi_upper)],
                                 "position": [k + 1.1]})
        layers.append(alt.Chart(interval).mark_rule(color="#b22222", strokeWidth=2, strokeDash=[2, 2]).encode(
            x=x, x2="upper:Q", y=y, tooltip=[alt.Tooltip("estimate:Q", title="prediction interval from", format=".2f"),
                                             alt.Tooltip("upper:Q", title="to", format=".2f")]))
    plot = alt.layer(*layers).properties(width=width, height=height)
    text = alt.Chart(rows).encode(y=y)
    left = alt.layer(
        text.mark_text(align="left", baseline="middle").encode(text="label:N").transform_filter(alt.datum.kind == "study"),
        text.mark_text(align="left", baseline="middle", fontWeight="bold").encode(text="label:N")
        .transform_filter(alt.datum.kind == "pooled"),
    ).properties(width=170, height=height, title="Study")
    right = text.mark_text(align="left", baseline="middle").encode(text="text:N").properties(
        width=130, height=height, title="Estimate [95% CI]" if result.level == 95 else f"Estimate [{result.level:g}% CI]")
    weight = text.mark_text(align="right", baseline="middle").encode(text="weight_text:N").properties(
        width=50, height=height, title="Weight")
    heterogeneity = (f"τ² = {result.tau2:.3g}, I² = {result.i2:.0f}%, Q = {result.q:.2f} (p = {result.q_pval:.3g}), k = {k}"
                     + ("" if np.isnan(result.pi_lower) else
                        f"; prediction interval {back(result.pi_lower):.3g} to {back(result.pi_upper):.3g}"))
    chart = alt.hconcat(left, plot, right, weight, spacing=8).resolve_scale(y="shared").properties(
        title=alt.Title(title or f"{NAMES.get(result.measure, 'Effect')}, {result.method}"
                        f"{' with Hartung-Knapp' if result.test == 'knha' else ''}", subtitle=heterogeneity))
    return chart.configure_view(stroke=None).configure_axisY(grid=False)
