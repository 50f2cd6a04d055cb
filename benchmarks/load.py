"""Benchmark: `import k2data` against `import pandas`, and `load_all()` on each backend against a bare
read of the same Parquet files into that backend (integrity checks included in k2data's time).

    python benchmarks/load.py [--rows 100000] [--repeat 15]

The bundled dataset is timed with k2data.load_all; a synthetic package of --rows outcome rows (the
validator benchmark's, built with `k2data build`) with the same loader on that package. Each time is
the fastest of --repeat runs. Targets (issue 12): import within 1.1x pandas; load_all within 1.5x the
bare read on every backend. Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

IMPORT_TARGET, LOAD_TARGET = 1.1, 1.5


def best(repeat: int, job) -> float:
    fastest = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        job()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def import_seconds(module: str, repeat: int) -> float:
    """The fastest wall time of a fresh interpreter importing module (interpreter start included)."""
    return best(repeat, lambda: subprocess.run([sys.executable, "-c", f"import {module}"], check=True))


def bare_readers():
    import pandas as pd
    import polars as pl
    import pyarrow.parquet as pq

    return {"pandas": pd.read_parquet, "polars": pl.read_parquet, "pyarrow": pq.read_table}


def load_ratios(package, repeat: int) -> dict[str, tuple[float, float]]:
    """(k2data seconds, bare seconds) per backend, for every table of the package."""
    from k2data.loader import read_table

    names = list(package.resources)
    paths = [package.resource(name).parquet_path for name in names]
    out = {}
    for backend, bare in bare_readers().items():
        read_table(package, names[0], backend=backend)  # warm up imports
        ours = best(repeat, lambda: [read_table(package, name, backend=backend) for name in names])
        theirs = best(repeat, lambda: [bare(path) for path in paths])
        out[backend] = (ours, theirs)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="outcome rows of the synthetic package")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    ok = True
    pandas_s, k2data_s = import_seconds("pandas", args.repeat), import_seconds("k2data", args.repeat)
    ratio = k2data_s / pandas_s
    ok &= ratio <= IMPORT_TARGET
    print(f"import: k2data {k2data_s:.3f} s, pandas {pandas_s:.3f} s, ratio {ratio:.2f} (target <= {IMPORT_TARGET})")
    from k2data.loader import bundled
    from k2data.package import DataPackage
    from validate import write_package

    with tempfile.TemporaryDirectory() as tmp:
        packages = {"bundled": bundled(), f"synthetic {args.rows:,} rows":
                    DataPackage(write_package(Path(tmp) / "pkg", args.rows))}
        print(f"{'package':<26}{'backend':<9}{'k2data s':>10}{'bare s':>9}{'ratio':>7}")
        for label, package in packages.items():
            for backend, (ours, theirs) in load_ratios(package, args.repeat).items():
                ok &= ours / theirs <= LOAD_TARGET
                print(f"{label:<26}{backend:<9}{ours:>10.4f}{theirs:>9.4f}{ours / theirs:>7.2f}")
    print(f"load_all target: <= {LOAD_TARGET}; {'all targets met' if ok else 'a target is missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
