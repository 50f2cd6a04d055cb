"""The site's charts as Vega-Lite specs built with Altair: the evidence map and a term's effect plots."""
from __future__ import annotations

import math

import pandas as pd

from ..meta.dataset import unit_word
from ..meta.effects import NAMES, RATIOS, Z95

AGENTS = {"mk4": "MK-4", "mk7": "MK-7", "k2_unspecified": "K2, form not stated"}


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


KINDS = {"trial": ("#1f5f99", "square"), "our pool": ("#b22222", "diamond"), "published": ("#6a3d9a", "diamond")}


def scale_of(measure: str, unit) -> tuple[str, str]:
    """The axis a row is drawn on: the measure, and for a mean difference the unit's first word as well
    (as pooling compares them), so that no axis mixes g/cm2 with % or Hounsfield units."""
    if measure != "MD":
        return measure, ""
    return measure, unit_word(unit) or "unit not stated"


def effect_rows(effects, pooled, published: pd.DataFrame, reported: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
    """The rows to draw, by axis (measure and, for MD, unit): the trials' effects, our pooled estimate,
    the published ones. A trial's reported effect keeps its reported CI; ratios are back on the ratio scale.
    reported: the outcome rows, indexed by outcome_id, with effect_value, ci_lower, ci_upper."""
    out: dict[tuple, list[dict]] = {}
    if effects is not None:
        trial_scales = set()
        for label, row in zip(effects.labels, effects.table.itertuples()):  # marked retracted or concern
            half = Z95 * math.sqrt(row.vi)
            lower, upper = row.yi - half, row.yi + half
            if row.conversion.startswith("reported"):  # draw the CI as printed, not as re-derived
                lower, upper = (reported.loc[row.outcome_id, name] for name in ("ci_lower", "ci_upper"))
                if effects.measure in RATIOS:
                    lower, upper = math.log(lower), math.log(upper)
            scale = scale_of(effects.measure, row.unit)
            trial_scales.add(scale)
            out.setdefault(scale, []).append(
                dict(label=label, kind="trial",
                     estimate=row.yi, lower=lower, upper=upper, unit=cell_text(row.unit)))
        if pooled is not None:
            (scale,) = trial_scales  # pooling guarantees one axis
            out[scale].append(dict(label=f"Our pool ({pooled.method}, k = {pooled.k})", kind="our pool",
                                   estimate=pooled.estimate, lower=pooled.ci_lower, upper=pooled.ci_upper,
                                   unit=""))
    for row in published.itertuples():
        value, lower, upper = row.effect_value, row.ci_lower, row.ci_upper
        if row.measure in RATIOS:
            value, lower, upper = math.log(value), math.log(lower), math.log(upper)
        out.setdefault(scale_of(row.measure, row.unit), []).append(
            dict(label=f"{row.label} ({row.outcome_id})", kind="published", estimate=value, lower=lower,
                 upper=upper, unit=cell_text(row.unit)))
    frames = {}
    for scale, rows in out.items():
        frame = pd.DataFrame(rows)
        if scale[0] in RATIOS:
            frame[["estimate", "lower", "upper"]] = frame[["estimate", "lower", "upper"]].map(math.exp)
        frame["order"] = range(len(frame))
        frames[scale] = frame
    return frames


def cell_text(value) -> str:
    return value if isinstance(value, str) else ""


def effect_chart(rows: pd.DataFrame, measure: str, unit: str = "") -> dict:
    """Estimates with 95% CIs, one row each: trials (squares), our pool and published meta-analyses
    (diamonds), on a log axis for ratios, with the line of no effect. The legend lists the kinds drawn."""
    import altair as alt

    ratio = measure in RATIOS
    title = NAMES.get(measure, measure) + (" (log scale)" if ratio else f", {unit}" if unit else "")
    scale = alt.Scale(type="log") if ratio else alt.Scale(zero=False)
    kinds = [kind for kind in KINDS if kind in set(rows["kind"])]
    y = alt.Y("label:N", title=None, sort=alt.SortField("order"), axis=alt.Axis(labelLimit=260))
    x = alt.X("estimate:Q", title=title, scale=scale)
    colour = alt.Color("kind:N", title=None, scale=alt.Scale(domain=kinds, range=[KINDS[k][0] for k in kinds]))
    base = alt.Chart(rows)
    ci = base.mark_rule().encode(x=alt.X("lower:Q", title=title, scale=scale), x2="upper:Q", y=y, color=colour)
    points = base.mark_point(filled=True, size=90).encode(
        x=x, y=y, color=colour,
        shape=alt.Shape("kind:N", title=None, scale=alt.Scale(domain=kinds, range=[KINDS[k][1] for k in kinds])),
        tooltip=[alt.Tooltip("label:N", title="Estimate"), alt.Tooltip("kind:N", title="Kind"),
                 alt.Tooltip("estimate:Q", format=".3g", title="Value"),
                 alt.Tooltip("lower:Q", format=".3g", title="95% CI from"),
                 alt.Tooltip("upper:Q", format=".3g", title="to"), alt.Tooltip("unit:N", title="Unit")])
    null = alt.Chart(pd.DataFrame({"estimate": [1.0 if ratio else 0.0]})).mark_rule(
        strokeDash=[4, 3], color="#888").encode(x="estimate:Q")
    return alt.layer(ci, points, null).properties(width=420, height=alt.Step(22)).to_dict()
