"""Benchmark: `k2data site` against its budget of 15 s on this 2-core machine, and the site's size.

    python benchmarks/site.py [--repeat 3] [--screenshot docs/evidence-map.png]

Each run builds the bundled dataset's site into a new folder in a fresh process (`k2data site`, imports
included), timed from outside; the slowest and fastest runs are printed with their ratio to the budget.
--screenshot saves the evidence map at 1280x800 in headless Chromium (Debian's chromium) for the README.
Exits 1 when a run misses the budget.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET = 15.0


def size(folder: Path) -> tuple[int, dict[str, int]]:
    parts = {}
    for path in folder.rglob("*"):
        if path.is_file():
            top = path.relative_to(folder).parts[0]
            parts[top if (folder / top).is_dir() else "pages at the top"] = parts.get(top, 0) + path.stat().st_size
    return sum(parts.values()), parts


def screenshot(site: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto((site / "map.html").as_uri())
        page.wait_for_selector("#map svg .mark-symbol path")
        page.locator("main").screenshot(path=str(out))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            out = Path(tmp) / f"site{run}"
            start = time.perf_counter()
            subprocess.run(["k2data", "site", str(out)], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        total, parts = size(out)
        print(f"k2data site: fastest {min(times):.2f} s, slowest {max(times):.2f} s of {args.repeat} runs; "
              f"budget {BUDGET:.0f} s: slowest / budget = {max(times) / BUDGET:.2f}")
        print(f"size {total / 2**20:.1f} MiB: " + ", ".join(f"{name} {b / 2**20:.2f} MiB"
                                                          for name, b in sorted(parts.items(), key=lambda kv: -kv[1])))
        if args.screenshot:
            screenshot(out, args.screenshot)
            print(f"screenshot of the evidence map: {args.screenshot}")
    return 0 if max(times) <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
