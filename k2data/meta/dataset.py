"""From outcome rows to one effect size per study, recording how each was obtained and why rows were dropped."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .effects import ARM_EVENTS, ARM_MEANS, MEASURES, REPORTED, escalc, se_to_sd
from .pool import PoolResult, pool

POOLING_DESIGNS = ("meta_analysis", "systematic_review")  # designs whose rows are published pooled estimates
REVIEW_DESIGNS = (*POOLING_DESIGNS, "narrative_review")
REPORTED_AS = {"MD": ("md", "wmd"), "SMD": ("smd",), "RR": ("rr",), "OR": ("or",), "RD": ()}
NEEDED = ("outcome_id", "study_id", "comparator_id", "outcome", "subgroup", "effect_measure", *REPORTED, "value_kind",
          "spread_kind", "unit", *dict.fromkeys(ARM_MEANS + ARM_EVENTS))


@dataclass(frozen=True)
class Effects:
    """Effect sizes ready to pool: `table` has one row per study (label, yi, vi, conversion, ...);
    `dropped` lists every row left out, with the reason."""

    measure: str
    table: pd.DataFrame
    dropped: pd.DataFrame

    @property
    def yi(self) -> np.ndarray:
        return self.table["yi"].to_numpy()

    @property
    def vi(self) -> np.ndarray:
        return self.table["vi"].to_numpy()

    @property
    def labels(self) -> list[str]:
        """Study labels, marked "(retracted)" or "(integrity concern)" where the study is so flagged."""
        retracted = self.table["retracted"].fillna(False).astype(bool)
        concern = self.table["integrity_concern"].notna()
        return [f"{label} (retracted)" if gone else f"{label} (integrity concern)" if doubt else label
                for label, gone, doubt in zip(self.table["label"], retracted, concern)]

    def why_not_poolable(self) -> str | None:
        """Why these effects cannot be pooled together, or None when they can."""
        k = len(self.table)
        if k < 2:
            found = "no study has" if k == 0 else f"only {self.table['label'].iloc[0]} has"
            return f"{found} usable numbers for {self.measure}; pooling needs at least 2 studies"
        terms = self.table.groupby("outcome", sort=True)["label"].agg(list)
        if len(terms) > 1:
            shown = "; ".join(f"{term}: {', '.join(labels)}" for term, labels in terms.items())
            return f"the rows measure different outcome terms ({shown}); pool one term at a time"
        if self.measure == "MD":
            scales = self.table.groupby(["value_kind", "unit_word"], dropna=False, sort=True)
            if scales.ngroups > 1:
                shown = "; ".join(f"{_scale(group['value_kind'].iloc[0], group['unit'].iloc[0])}: "
                                  f"{', '.join(group['label'])}" for _, group in scales)
                return (f"mean differences on different scales cannot be pooled ({shown}); "
                        "pool rows of one value kind and one unit: select them in Python and pass them to "
                        "k2data.meta.from_outcomes")
        return None

    def pool(self, **options) -> PoolResult:
        """Pool the studies (options as for k2data.meta.pool); ValueError says why when they cannot be pooled."""
        reason = self.why_not_poolable()
        if reason:
            raise ValueError(reason)
        return pool(self.yi, self.vi, labels=self.labels, measure=self.measure, **options)


def unit_word(unit) -> str | None:
    """What mean differences must share to be pooled or drawn on one axis: the unit's first word, in lower
    case ("g/cm2 (L2-L4)" and "g/cm2 change from baseline" agree; "%" and "g/cm2" do not)."""
    return unit.split()[0].lower() if isinstance(unit, str) and unit.strip() else None


def _scale(kind, unit) -> str:
    kind = "value kind not stated" if pd.isna(kind) else kind
    return f"{kind}, {unit}" if isinstance(unit, str) else f"{kind}, unit not stated"


def study_labels(studies: pd.DataFrame) -> pd.Series:
    """'Knapen 2013' from the first author's surname and the year; study_id where that label repeats."""
    surname = studies["authors"].fillna("").str.split(r"[ ;,]", n=1, regex=True).str[0]
    label = surname.where(surname != "", studies["study_id"]) + " " + studies["year"].astype("string").fillna("")
    label = label.str.strip()
    repeated = label.duplicated(keep=False)
    return pd.Series(np.where(repeated, label + " (" + studies["study_id"] + ")", label), index=studies["study_id"])


def _missing(rows: pd.DataFrame, names) -> pd.Series:
    """For each row, the comma-separated names of the columns that are blank."""
    blank = rows[list(names)].isna().to_numpy()
    return pd.Series([", ".join(name for name, empty in zip(names, row) if empty) for row in blank],
                     index=rows.index, dtype="string")


def from_outcomes(frame: pd.DataFrame, measure: str, *, exclude_retracted: bool = True,
                  exclude_concerns: bool = False, unstated_spread: str = "drop",
                  studies: pd.DataFrame | None = None) -> Effects:
    """Turn outcome rows (from k2data.load("outcomes") or k2data.evidence()) into one (yi, vi) per study.

    Arm-level numbers are used where a row has them all; otherwise the reported effect and its 95% CI
    (the CI the outcomes table records).
    measure: MD, SMD (Hedges' g), RR, OR or RD; differences are K2 minus comparator.
    unstated_spread: "drop" leaves out arm means whose spread is not stated to be an SD or an SE;
    "sd" takes it as an SD (an SE taken for an SD inflates the effect: check it against the row's
    p_value). An SE is converted to an SD (SE × √n).
    Rows of reviews, of retracted studies (unless exclude_retracted=False), of studies with an
    integrity_concern (when exclude_concerns=True; otherwise they are marked in the labels) and rows
    with no comparator are dropped; every other design is used, so select the designs first (the CLI
    pools rct only). A study with several usable rows keeps its first (blank subgroup first, then by
    outcome_id) and the others are dropped. Every dropped row is in `.dropped` with its reason.
    studies: the studies table the rows belong to (default: the bundled one).
    """
    measure = measure.upper()
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    if unstated_spread not in ("drop", "sd"):
        raise ValueError(f"unstated_spread is 'drop' or 'sd', not {unstated_spread!r}")
    absent = [name for name in NEEDED if name not in frame.columns]
    if absent:
        raise ValueError(f"the frame lacks the outcome columns {', '.join(absent)}; pass rows of "
                         "k2data.load('outcomes') or k2data.evidence()")
    if studies is None:
        from ..loader import load

        studies = load("studies")
    labels = study_labels(studies)
    rows = frame[list(NEEDED)].merge(studies[["study_id", "year", "design", "retracted", "integrity_concern"]],
                                     on="study_id", how="left")
    rows = rows.assign(label=rows["study_id"].map(labels).fillna(rows["study_id"]))
    reason = pd.Series(pd.NA, index=rows.index, dtype="string")

    def drop(mask, text):
        mask = pd.Series(mask, index=rows.index).fillna(False).astype(bool) & reason.isna()
        reason[mask] = text if isinstance(text, str) else text[mask]

    drop(rows["design"].isna(), "its study is not in the dataset")
    drop(rows["design"].isin(REVIEW_DESIGNS), "a pooled or review estimate, not a study's own result")
    if exclude_retracted:
        drop(rows["retracted"].fillna(False).astype(bool),
             "retracted study, left out by default (exclude_retracted=False, or --include-retracted, keeps it)")
    if exclude_concerns:
        drop(rows["integrity_concern"].notna(),
             "integrity concern (" + rows["integrity_concern"].astype("string")
             + "), left out by exclude_concerns=True (--exclude-concerns)")
    drop(rows["comparator_id"].isna(), "no comparator arm: a change within one arm cannot be compared")

    arm_names = ARM_MEANS if measure in ("MD", "SMD") else ARM_EVENTS
    arm_complete = rows[list(arm_names)].notna().all(axis=1)
    spread = rows["spread_kind"].astype("string")
    if measure in ("MD", "SMD"):
        unusable_spread = arm_complete & (spread.isna() | ((spread == "unstated") & (unstated_spread == "drop")))
        arm_ok = arm_complete & ~unusable_spread
    else:
        unusable_spread, arm_ok = pd.Series(False, index=rows.index), arm_complete
    effect_kind = rows["effect_measure"].astype("string")
    reported_ok = (effect_kind.isin(REPORTED_AS[measure]) & rows[list(REPORTED)].notna().all(axis=1)) & ~arm_ok

    arm_text = "arm means and SDs" if measure in ("MD", "SMD") else "event counts"
    reported_reason = _reported_reason(rows, measure, effect_kind)
    drop(~arm_ok & ~reported_ok & unusable_spread,
         "arm spread not stated to be an SD or an SE (unstated_spread='sd' takes it as an SD)")
    drop(~arm_ok & ~reported_ok & ~unusable_spread,
         "no " + arm_text + " (missing " + _missing(rows, arm_names) + ") and " + reported_reason)

    columns = {name: rows[name].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
               for name in dict.fromkeys(arm_names + REPORTED)}
    conversion = pd.Series(pd.NA, index=rows.index, dtype="string")
    if measure in ("MD", "SMD"):
        is_se = (spread == "se").fillna(False).to_numpy()
        for arm in ("k2", "comparator"):
            n = columns["n_" + arm]
            columns[arm + "_sd"] = np.where(is_se, se_to_sd(columns[arm + "_sd"], n), columns[arm + "_sd"])
        conversion[arm_ok & (spread == "sd")] = "arm means and SDs"
        conversion[arm_ok & (spread == "se")] = "arm means and SEs (SD = SE × √n)"
        conversion[arm_ok & (spread == "unstated")] = "arm means; spread taken as an SD (source does not say)"
    else:
        cells = [columns["k2_events"], columns["n_k2"] - columns["k2_events"], columns["comparator_events"],
                 columns["n_comparator"] - columns["comparator_events"]]
        zero = pd.Series(np.any(np.array(cells) == 0, axis=0), index=rows.index)
        conversion[arm_ok & ~zero] = "event counts"
        conversion[arm_ok & zero] = "event counts, 1/2 added to each cell (one is 0)"
    conversion[reported_ok] = "reported " + effect_kind[reported_ok].str.upper() + " and 95% CI"
    arm_values = {name: np.where(arm_ok.to_numpy(), columns[name], np.nan) for name in arm_names}
    reported_values = {name: np.where(reported_ok.to_numpy(), columns[name], np.nan) for name in REPORTED}
    yi, vi = escalc(measure, **arm_values, **reported_values)
    drop(reason.isna() & ~np.isfinite(yi), "the numbers give no finite effect size or a variance of 0")

    usable = rows[reason.isna()].assign(yi=yi[reason.isna().to_numpy()], vi=vi[reason.isna().to_numpy()],
                                        conversion=conversion[reason.isna()])
    order = usable.assign(_subgroup=usable["subgroup"].notna(),
                          _n=usable["outcome_id"].str.extract(r"_o(\d+)$")[0].astype("Float64"))
    order = order.sort_values(["study_id", "_subgroup", "_n", "outcome_id"], kind="stable")
    kept = order.drop_duplicates("study_id")
    for _, row in order[~order.index.isin(kept.index)].iterrows():
        first = kept.loc[kept["study_id"] == row["study_id"], "outcome_id"].iloc[0]
        reason[row.name] = f"another usable row of this study is used ({first}); pass one row per study to choose"
    table = kept.drop(columns=["_subgroup", "_n"]).sort_values(["year", "label"], kind="stable")
    table = table.assign(unit_word=table["unit"].map(unit_word))
    table = table[["label", "study_id", "outcome_id", "outcome", "year", "design", "yi", "vi", "conversion", "value_kind",
                   "unit", "unit_word", "n_k2", "n_comparator", "retracted", "integrity_concern"]]
    table = table.reset_index(drop=True)
    dropped = rows.loc[reason.notna(), ["outcome_id", "study_id", "label"]].assign(reason=reason[reason.notna()])
    return Effects(measure, table, dropped.reset_index(drop=True))


def _reported_reason(rows: pd.DataFrame, measure: str, effect_kind: pd.Series) -> pd.Series:
    """Why a row's reported effect cannot stand in for the arm numbers."""
    accepted = REPORTED_AS[measure]
    if not accepted:
        return pd.Series(f"{measure} is computed from event counts only", index=rows.index, dtype="string")
    wanted = "/".join(accepted)
    text = pd.Series(f"no reported {wanted}", index=rows.index, dtype="string")
    other = effect_kind.notna() & (effect_kind != "none") & ~effect_kind.isin(accepted)
    text[other] = "its reported effect is " + effect_kind[other] + f", not {wanted}"
    no_ci = effect_kind.isin(accepted) & rows[list(REPORTED)].isna().any(axis=1)
    text[no_ci] = f"its reported {wanted} has no 95% CI"
    return text
