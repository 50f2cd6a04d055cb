"""Benchmark: `k2data validate` against `frictionless validate` and a bare pyarrow read.

    python benchmarks/validate.py [--rows 10000 100000 1000000] [--skip-frictionless-above N]

For each size it writes a synthetic, valid package (the real schemas; 1,000 studies; N outcome
rows), then times each job in a fresh subprocess and prints seconds, peak memory (VmHWM, MiB) and
the ratios (fl/k2: frictionless time over k2data's; k2/read: k2data's over the bare read's).
k2data and the bare read run --repeat times each, taking turns so that both meet the same load on a
shared machine; the fastest run of each counts. The targets (issue 11): at 1M rows k2data is at
least 50x faster than frictionless and within 2x of the bare read.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N_STUDIES = 1000

JOBS = {  # name: (imports, timed body); {path} is the package's datapackage.json
    "k2data": ("from k2data.validate import validate",
               "r = validate({path!r}); assert r.valid, r.to_text()[:2000]"),
    "frictionless": ("import frictionless", "r = frictionless.validate({path!r}); assert r.valid"),
    "pyarrow_read": ("import json, pathlib, pyarrow.csv as c",
                     "p = pathlib.Path({path!r}).parent\n"
                     "for r in json.loads((p / 'datapackage.json').read_text())['resources']: c.read_csv(p / r['path'])"),
}


def study_ids(n: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [f"syn{letters[i // 26 % 26]}{letters[i % 26]}{2000 + i // 676}" for i in range(n)]


def synthetic_tables(n_outcomes: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Valid rows for every table; outcomes has n_outcomes rows spread over the studies."""
    rng = np.random.default_rng(seed)
    sid = np.array(study_ids(N_STUDIES))
    src = "https://pubmed.ncbi.nlm.nih.gov/1/"
    studies = pd.DataFrame({
        "study_id": sid, "title": [f"Synthetic study {i}" for i in range(N_STUDIES)], "authors": "Doe J; Roe R",
        "year": 2000 + np.arange(N_STUDIES) // 676, "journal": "Journal of Synthetic Data", "volume": "1", "issue": "2",
        "pages": "1-10", "doi": [f"10.1234/syn.{i}" for i in range(N_STUDIES)], "pmid": "", "pmcid": "", "design": "rct",
        "population": "synthetic", "country": "Nowhere", "n_total": 100, "funding": "", "industry_involvement": "unclear",
        "retracted": "false", "retraction_note": "", "risk_of_bias": "not_assessed", "curation_status": "abstract",
        "source": src, "notes": ""})
    models = pd.DataFrame({"model_id": np.char.add(sid, "_m"), "study_id": sid, "system": "human", "sex": "female",
                           "n": 100, "source": src, "locator": "abstract"})
    k2 = pd.DataFrame({"intervention_id": np.char.add(sid, "_k2"), "study_id": sid, "model_id": np.char.add(sid, "_m"),
                       "arm": "MK-7", "role": "experimental", "agent": "mk7", "dose_value": 180.0, "dose_unit": "ug/day",
                       "route": "oral", "duration_value": 3.0, "duration_unit": "year", "n_assigned": 50,
                       "source": src, "locator": "abstract"})
    control = k2.assign(intervention_id=np.char.add(sid, "_pl"), arm="placebo", role="comparator", agent="placebo",
                        dose_value=np.nan, dose_unit="")
    interventions = pd.concat([k2, control], ignore_index=True)
    which = np.arange(n_outcomes) % N_STUDIES
    effect = rng.normal(0.5, 1.0, n_outcomes).round(3)
    half = rng.uniform(0.1, 1.0, n_outcomes).round(3)
    p = rng.uniform(0, 1, n_outcomes).round(4)
    outcomes = pd.DataFrame({
        "outcome_id": np.char.add(np.char.add(sid[which], "_o"), np.arange(n_outcomes).astype(str)),
        "study_id": sid[which], "model_id": np.char.add(sid[which], "_m"),
        "intervention_id": np.char.add(sid[which], "_k2"), "comparator_id": np.char.add(sid[which], "_pl"),
        "outcome": "bmd_lumbar_spine", "category": "bmd", "timepoint": "12 months", "direction": "increase",
        "favours": "vitamin_k2", "significant": np.where((effect - half > 0) | (effect + half < 0), "true", "false"),
        "effect_measure": "md", "effect_value": effect, "ci_lower": (effect - half).round(3),
        "ci_upper": (effect + half).round(3), "p_value": p, "p_qualifier": "exact", "n_k2": 50, "n_comparator": 50,
        "value_kind": "final", "k2_mean": 1.0, "k2_sd": 0.1, "comparator_mean": 0.9, "comparator_sd": 0.1,
        "spread_kind": "sd", "unit": "g/cm2",
        "evidence": "Synthetic result with its numbers.", "source": src, "locator": "Table 2"})
    mechanisms = pd.DataFrame({"mechanism_id": np.char.add(sid, "_m1"), "study_id": sid, "model_id": np.char.add(sid, "_m"),
                               "target": "osteocalcin", "hgnc_symbol": "BGLAP", "effect": "cofactor_for",
                               "evidence_type": "review", "evidence": "Synthetic.", "source": src, "locator": "abstract"})
    reports = pd.DataFrame({"report_id": np.char.add(sid, "_r1"), "study_id": sid, "title": "Synthetic news",
                            "claim": "Synthetic claim.", "accuracy": "accurate", "source": src})
    terms = pd.DataFrame({"term": ["bmd_lumbar_spine"], "label": ["Lumbar spine BMD"], "category": ["bmd"],
                          "definition": ["Synthetic definition."], "higher_is": ["better"]})
    pooled_trials = pd.DataFrame(columns=["outcome_id", "study_id"])  # every synthetic study is a trial: no links
    return {"studies": studies, "models": models, "interventions": interventions, "outcome_terms": terms,
            "outcomes": outcomes, "pooled_trials": pooled_trials, "mechanisms": mechanisms, "reports": reports}


def write_package(dest: Path, n_outcomes: int) -> Path:
    """A complete synthetic package (CSV, Parquet, hashes) in dest; returns its datapackage.json."""
    from k2data.build import build

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "schemas", dest / "schemas", dirs_exist_ok=True)
    (dest / "tables").mkdir(exist_ok=True)
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    for name, frame in synthetic_tables(n_outcomes).items():
        columns = [f["name"] for f in json.loads((ROOT / "schemas" / f"{name}.json").read_text())["fields"]]
        frame.reindex(columns=columns).to_csv(dest / "tables" / f"{name}.csv", index=False, lineterminator="\n")
    (dest / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    build(dest)
    return dest / "datapackage.json"


def run(job: str, path: Path) -> tuple[float, float]:
    """Seconds and peak MiB of one job in a fresh interpreter (imports are not timed)."""
    imports, body = JOBS[job]
    # Peak memory is VmHWM: ru_maxrss would carry over the parent's peak across exec.
    code = (f"import re, time\n{imports}\nt = time.perf_counter()\n{body.format(path=str(path))}\n"
            "seconds = time.perf_counter() - t\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
            "print(seconds, int(hwm) / 1024)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{job} failed:\n{result.stderr[-3000:]}")
    seconds, mib = result.stdout.split()[-2:]
    return float(seconds), float(mib)


def best(repeat: int, jobs: list[str], path: Path) -> list[tuple[float, float]]:
    """For each job, the fastest of repeat runs (seconds, and that run's peak MiB): the least disturbed by
    other load. The jobs take turns, so a slow spell of the machine slows them alike."""
    runs = [[run(job, path) for job in jobs] for _ in range(repeat)]
    return [min(times) for times in zip(*runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--skip-frictionless-above", type=int, default=None,
                        help="do not run frictionless above this many rows (it runs ~20k rows/s)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of k2data and of the bare read; the fastest counts (frictionless runs once)")
    args = parser.parse_args()
    print(f"{'rows':>9} {'k2data s':>9} {'MiB':>6} {'frictionless s':>15} {'MiB':>6} {'pyarrow s':>10} "
          f"{'fl/k2':>7} {'k2/read':>8}")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_package(Path(tmp) / f"pkg{rows}", rows)
            (k2, k2_mib), (read, _) = best(args.repeat, ["k2data", "pyarrow_read"], path)
            if args.skip_frictionless_above is None or rows <= args.skip_frictionless_above:
                fl, fl_mib = run("frictionless", path)
                fl_text, ratio = f"{fl:15.2f} {fl_mib:6.0f}", f"{fl / k2:7.1f}"
            else:
                fl_text, ratio = f"{'skipped':>15} {'':>6}", f"{'-':>7}"
            print(f"{rows:>9} {k2:9.3f} {k2_mib:6.0f} {fl_text} {read:10.3f} {ratio} {k2 / read:8.2f}", flush=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.0f} s")
