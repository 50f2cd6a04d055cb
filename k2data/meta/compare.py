"""The living comparison: each published pooled estimate beside the pool of the dataset's trials behind it
(the trials pooled_trials links to it, on the same term and, for mean differences, the same value kind)."""
from __future__ import annotations

import math

import pandas as pd

from .dataset import POOLING_DESIGNS, from_outcomes, study_labels

MEASURE_OF = {"md": "MD", "wmd": "MD", "smd": "SMD", "rr": "RR", "or": "OR"}
COLUMNS = ["outcome_id", "review", "term", "measure", "published", "published_k", "trials_linked", "trials_used",
           "ours", "note"]


def _interval(measure: str, estimate: float, lower: float, upper: float, log: bool = False) -> str:
    if log:
        estimate, lower, upper = math.exp(estimate), math.exp(lower), math.exp(upper)
    return f"{measure} {estimate:.2f} [{lower:.2f}, {upper:.2f}]"


def is_published(design: pd.Series, effect_measure: pd.Series, effect_value: pd.Series) -> pd.Series:
    """Rows that are published pooled estimates: a meta-analysis's or systematic review's MD, SMD, RR or OR."""
    return design.isin(POOLING_DESIGNS) & effect_measure.astype("string").isin(list(MEASURE_OF)) & effect_value.notna()


def living_comparison(term: str | None = None, *, method: str = "REML", exclude_retracted: bool = True,
                      unstated_spread: str = "drop", tables: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per published pooled estimate (of the term, or of every term) with an MD, SMD, RR or OR:
    the published figure, the trials of this dataset linked to it, our pool of them where two or more
    have usable numbers, and otherwise which numbers are missing (`note`). tables: the outcomes, studies
    and pooled_trials tables to use (default: the bundled ones)."""
    if tables is None:
        from ..loader import load

        tables = {name: load(name) for name in ("outcomes", "studies", "pooled_trials")}
    outcomes, studies = tables["outcomes"], tables["studies"]
    links = tables["pooled_trials"]  # a retracted trial stays linked: from_outcomes says it is left out
    labels = study_labels(studies)
    design = outcomes["study_id"].map(studies.set_index("study_id")["design"])
    published = outcomes[is_published(design, outcomes["effect_measure"], outcomes["effect_value"])]
    if exclude_retracted:
        retracted = set(studies.loc[studies["retracted"].fillna(False).astype(bool), "study_id"])
        published = published[~published["study_id"].isin(retracted)]
    if term is not None:
        published = published[published["outcome"] == term]
    rows = []
    for _, p in published.iterrows():
        measure = MEASURE_OF[str(p["effect_measure"])]
        linked = links.loc[links["outcome_id"] == p["outcome_id"], "study_id"].tolist()
        text = _interval(measure, p["effect_value"], p["ci_lower"], p["ci_upper"]) if pd.notna(p["ci_lower"]) \
            else f"{measure} {p['effect_value']:.2f}"
        row = dict(outcome_id=p["outcome_id"], review=labels.get(p["study_id"], p["study_id"]), term=p["outcome"],
                   measure=measure, published=text, published_k=p["n_studies"],
                   trials_linked=", ".join(labels.get(s, s) for s in linked), trials_used="", ours="")
        row["note"], result = _ours(outcomes, studies, p, linked, measure, labels, method, exclude_retracted,
                                    unstated_spread)
        if result is not None:
            effects, pooled = result
            row["trials_used"] = ", ".join(effects.labels)
            row["ours"] = _interval(measure, pooled.estimate, pooled.ci_lower, pooled.ci_upper,
                                    log=measure in ("RR", "OR"))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"published_k": "Int64"})


def _ours(outcomes, studies, published, linked, measure, labels, method, exclude_retracted, unstated_spread):
    """(note, (effects, pooled) or None) for one published estimate."""
    if not linked:
        return "no trial behind it is linked in pooled_trials", None
    rows = outcomes[outcomes["study_id"].isin(linked) & (outcomes["outcome"] == published["outcome"])]
    notes = [f"{labels.get(s, s)}: no {published['outcome']} row" for s in linked if s not in set(rows["study_id"])]
    if measure == "MD" and pd.notna(published["value_kind"]):
        other = rows["value_kind"].astype("string") != published["value_kind"]
        other = other.fillna(True)
        notes += [f"{labels.get(s, s)}: {r} is not a {published['value_kind']} value"
                  for s, r in zip(rows.loc[other, "study_id"], rows.loc[other, "outcome_id"])]
        rows = rows[~other]
    effects = from_outcomes(rows, measure, exclude_retracted=exclude_retracted, unstated_spread=unstated_spread,
                            studies=studies)
    notes += [f"{label}: {reason}" for label, reason in zip(effects.dropped["label"], effects.dropped["reason"])]
    reason = effects.why_not_poolable()
    if reason:
        usable = f": {', '.join(effects.labels)}" if effects.labels else ""
        return "; ".join([f"too few trials with numbers ({len(effects.table)} of {len(linked)} linked{usable}; "
                          "pooling needs 2)", *notes]), None
    pooled = effects.pool(method=method)
    return "; ".join([f"pooled {pooled.k} of {len(linked)} linked trials ({method})", *notes]), (effects, pooled)


def to_markdown(frame: pd.DataFrame) -> str:
    """The comparison as a Markdown table (for docs/living-comparison.md)."""
    header = ["Pooled estimate", "Review", "Term", "Published (k)", "Trials in k2data", "Ours", "Note"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, r in frame.iterrows():
        k = "" if pd.isna(r["published_k"]) else f" (k = {r['published_k']})"
        cells = [f"`{r['outcome_id']}`", r["review"], f"`{r['term']}`", r["published"] + k,
                 r["trials_linked"] or "none", r["ours"] or "not pooled", r["note"]]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
