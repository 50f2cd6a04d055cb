"""Text and JSON renderings of a pooling run and of the living comparison (the CLI prints them)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from .dataset import Effects
from .effects import RATIOS, Z95
from .pool import PoolResult


def _back(measure: str, value: float) -> float:
    return math.exp(value) if measure in RATIOS else value


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def pooled_line(result: PoolResult) -> str:
    m = result.measure
    ci = f"{_back(m, result.estimate):.3g} [{_back(m, result.ci_lower):.3g}, {_back(m, result.ci_upper):.3g}]"
    text = (f"Pooled ({result.method}, {'Hartung-Knapp' if result.test == 'knha' else 'z'} test): {m} {ci}, "
            f"p = {result.pval:.3g}; tau2 = {result.tau2:.3g}, I2 = {result.i2:.1f}%, "
            f"Q = {result.q:.3g} (df = {result.k - 1}, p = {result.q_pval:.3g})")
    if not np.isnan(result.pi_lower):
        text += f"; prediction interval {_back(m, result.pi_lower):.3g} to {_back(m, result.pi_upper):.3g}"
    return text


def study_table(effects: Effects, result: PoolResult | None) -> str:
    """The per-study table: estimate and CI (back on the ratio scale), weight, and where the numbers came from."""
    m = effects.measure
    if effects.table.empty:
        return "No study has usable numbers."
    weights = result.studies["weight"].tolist() if result is not None else [None] * len(effects.table)
    labels = effects.labels  # marked "(retracted)" or "(integrity concern)"
    width = max(22, *map(len, labels))
    lines = [f"{'Study':<{width}} {'Row':<22} {m:>8}  {'95% CI':<20} {'Weight':>7}  From"]
    for label, (_, row), weight in zip(labels, effects.table.iterrows(), weights):
        half = Z95 * math.sqrt(row["vi"])
        ci = f"[{_back(m, row['yi'] - half):.3g}, {_back(m, row['yi'] + half):.3g}]"
        shown = "" if weight is None else f"{weight:.1f}%"
        lines.append(f"{label:<{width}} {row['outcome_id']:<22} {_back(m, row['yi']):>8.3g}  {ci:<20} {shown:>7}  "
                     f"{row['conversion']}")
    return "\n".join(lines)


def dropped_text(effects: Effects) -> str:
    if effects.dropped.empty:
        return ""
    count = len(effects.dropped)
    lines = [f"Left out ({count} row{'s' if count != 1 else ''}):"]
    lines += [f"  {r.outcome_id} ({r.label}): {r.reason}" for r in effects.dropped.itertuples()]
    return "\n".join(lines)


def pool_json(heading: dict, effects: Effects, result: PoolResult | None, reason: str | None) -> str:
    studies = effects.table.drop(columns=["unit_word"]).copy()
    if result is not None:
        studies["weight"] = result.studies["weight"].to_numpy()
    pooled = None
    if result is not None:
        pooled = {key: _number(value) if not isinstance(value, str) else value
                  for key, value in result.to_frame().iloc[0].items()}
        pooled["k"] = result.k
        if result.measure in RATIOS:
            pooled["ratio"] = {name: _number(_back(result.measure, getattr(result, name)))
                               for name in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper")}
    return json.dumps({**heading, "studies": _records(studies), "dropped": _records(effects.dropped),
                       "pooled": pooled, "cannot_pool": reason}, indent=2, ensure_ascii=False)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({key: (None if pd.isna(value) else value.item() if hasattr(value, "item") else value)
                    for key, value in record.items()})
    return out


def comparison_text(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "No published pooled estimate (MD, SMD, RR or OR) for this term."
    blocks = []
    for r in frame.itertuples():
        k = "" if pd.isna(r.published_k) else f" from {r.published_k} studies"
        blocks.append("\n".join([
            f"{r.outcome_id} ({r.review}, {r.term}): published {r.published}{k}",
            f"  trials in k2data: {r.trials_linked or 'none linked'}",
            f"  ours: {r.ours or 'not pooled'}" + (f" from {r.trials_used}" if r.trials_used else ""),
            f"  {r.note}"]))
    return "\n\n".join(blocks)


def comparison_json(frame: pd.DataFrame) -> str:
    return json.dumps(_records(frame), indent=2, ensure_ascii=False)
