"""The site's charts as Vega-Lite specs built with Altair: the evidence map and a term's effect plots."""
from __future__ import annotations

import math

import pandas as pd

AGENTS = {"mk4": "MK-4", "mk7": "MK-7", "k2_unspecified": "K2, form not stated"}
RATIOS = ("RR", "OR")
MEASURE_NAMES = {"MD": "Mean difference", "SMD": "Standardised mean difference", "RR": "Risk ratio",
                 "OR": "Odds ratio", "RD": "Risk difference"}


def map_records(evidence: pd.DataFrame, labels: pd.Series) -> list[dict]:
    """One record per study, K2 form, term, design, system, direction: what the evidence map counts."""
    frame = pd.DataFrame({
        "study_id": evidence["study_id"].astype(str),
        "label": evidence["study_id"].map(labels).astype(str),
        "agent": evidence["k2_agent"].astype("string").map(AGENTS).fillna("K2 arm not described"),
        "term": evidence["outcome"].astype(str),
        "term_label": evidence["term_label"].astype(str),
        "category": evidence["category"].astype(str),
        "design": evidence["study_design"].astype(str),
        "system": evidence["model_system"].astype("string").fillna("not stated"),
        "retracted": evidence["study_retracted"].fillna(False).astype(bool),
        "direction": evidence["direction"].astype("string").fillna("not stated"),
    })
    return frame.drop_duplicates().to_dict(orient="records")


def evidence_map(records: list[dict], categories: list[str], designs: list[str], systems: list[str]) -> dict:
    """K2 form by outcome term (rows grouped by category): bubble size is the number of studies, colour the
    design or the direction; design, system and retracted are filters bound to form controls."""
    import altair as alt

    design = alt.param(name="design", value="all",
                       bind=alt.binding_select(options=["all", *designs], name="Design "))
    system = alt.param(name="system", value="all",
                       bind=alt.binding_select(options=["all", *systems], name="System "))
    retracted = alt.param(name="retracted", value=False,
                          bind=alt.binding_checkbox(name="Include retracted studies "))
    colour = alt.param(name="colour", value="design",
                       bind=alt.binding_radio(options=["design", "direction"], name="Colour by "))
    present = [c for c in categories if any(r["category"] == c for r in records)]
    chart = alt.Chart(alt.Data(values=records)).transform_filter(
        "(design == 'all' || datum.design == design) && (system == 'all' || datum.system == system)"
        " && (retracted || !datum.retracted)"
    ).transform_calculate(group="colour == 'design' ? datum.design : datum.direction").transform_aggregate(
        studies="distinct(study_id)", groupby=["agent", "term", "term_label", "category", "group"]
    ).mark_circle(opacity=0.85, stroke="#333", strokeWidth=0.5).encode(
        x=alt.X("agent:N", title="K2 form", sort=list(AGENTS.values()), axis=alt.Axis(labelAngle=0, orient="top")),
        xOffset=alt.XOffset("group:N"),
        y=alt.Y("term_label:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=170)),
        row=alt.Row("category:N", title=None, sort=present,
                    header=alt.Header(labelOrient="top", labelAnchor="start", labelAngle=0, labelFontWeight="bold",
                                      labelFontSize=12)),
        size=alt.Size("studies:Q", title="Studies", scale=alt.Scale(range=[30, 500], zero=False)),
        color=alt.Color("group:N", title="Design or direction", scale=alt.Scale(scheme="tableau10")),
        tooltip=[alt.Tooltip("term_label:N", title="Outcome"), alt.Tooltip("agent:N", title="K2 form"),
                 alt.Tooltip("group:N", title="Design or direction"), alt.Tooltip("studies:Q", title="Studies")],
    ).properties(width=alt.Step(12), height=alt.Step(18)).resolve_scale(y="independent").add_params(
        design, system, retracted, colour)
    return chart.to_dict()


def effect_rows(effects, pooled, published: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """For each measure, the rows to draw: the trials' effects, our pooled estimate, the published ones.
    Ratios are back on the ratio scale."""
    out: dict[str, list[dict]] = {}
    z = 1.959963984540054
    if effects is not None:
        for row in effects.table.itertuples():
            half = z * math.sqrt(row.vi)
            out.setdefault(effects.measure, []).append(
                dict(label=row.label if not row.retracted else f"{row.label} (retracted)", kind="trial",
                     estimate=row.yi, lower=row.yi - half, upper=row.yi + half, study_id=row.study_id))
        if pooled is not None:
            out[effects.measure].append(dict(label=f"Our pool ({pooled.method}, k = {pooled.k})", kind="our pool",
                                             estimate=pooled.estimate, lower=pooled.ci_lower, upper=pooled.ci_upper,
                                             study_id=""))
    for row in published.itertuples():
        value, lower, upper = row.effect_value, row.ci_lower, row.ci_upper
        if row.measure in RATIOS:
            value, lower, upper = math.log(value), math.log(lower), math.log(upper)
        unit = f"; {row.unit}" if row.measure not in RATIOS and isinstance(row.unit, str) else ""
        out.setdefault(row.measure, []).append(dict(label=f"{row.label} ({row.outcome_id}{unit})", kind="published",
                                                    estimate=value, lower=lower, upper=upper, study_id=row.study_id))
    frames = {}
    for measure, rows in out.items():
        frame = pd.DataFrame(rows)
        if measure in RATIOS:
            frame[["estimate", "lower", "upper"]] = frame[["estimate", "lower", "upper"]].map(math.exp)
        frame["order"] = range(len(frame))
        frames[measure] = frame
    return frames


def effect_chart(rows: pd.DataFrame, measure: str, unit: str = "") -> dict:
    """Estimates with 95% CIs, one row each: trials (squares), our pool and published meta-analyses
    (diamonds), on a log axis for ratios, with the line of no effect."""
    import altair as alt

    ratio = measure in RATIOS
    title = MEASURE_NAMES.get(measure, measure) + (" (log scale)" if ratio else f" ({unit})" if unit else "")
    scale = alt.Scale(type="log") if ratio else alt.Scale(zero=False)
    y = alt.Y("label:N", title=None, sort=alt.SortField("order"), axis=alt.Axis(labelLimit=260))
    x = alt.X("estimate:Q", title=title, scale=scale)
    colour = alt.Color("kind:N", title=None, scale=alt.Scale(domain=["trial", "our pool", "published"],
                                                            range=["#1f5f99", "#b22222", "#6a3d9a"]))
    base = alt.Chart(rows)
    ci = base.mark_rule().encode(x=alt.X("lower:Q", title=title, scale=scale), x2="upper:Q", y=y, color=colour)
    points = base.mark_point(filled=True, size=90).encode(
        x=x, y=y, color=colour,
        shape=alt.Shape("kind:N", title=None, scale=alt.Scale(domain=["trial", "our pool", "published"],
                                                               range=["square", "diamond", "diamond"])),
        tooltip=["label:N", "kind:N", alt.Tooltip("estimate:Q", format=".3g"),
                 alt.Tooltip("lower:Q", format=".3g", title="95% CI from"),
                 alt.Tooltip("upper:Q", format=".3g", title="to")])
    null = alt.Chart(pd.DataFrame({"estimate": [1.0 if ratio else 0.0]})).mark_rule(
        strokeDash=[4, 3], color="#888").encode(x="estimate:Q")
    return alt.layer(ci, points, null).properties(width=420, height=alt.Step(22)).to_dict()
