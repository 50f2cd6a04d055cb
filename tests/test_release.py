"""The version agrees everywhere; the wheel carries the data."""
import json
import os
import re
import subprocess
import sys

import k2data

from .conftest import ROOT


def test_versions_agree():
    version = json.loads((ROOT / "datapackage.json").read_text())["version"]
    cff = re.search(r"^version:\s*\"?([^\"\s]+)", (ROOT / "CITATION.cff").read_text(), re.M).group(1)
    changelog = re.search(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M).group(1)
    assert k2data.__version__ == version == cff == changelog
    assert re.search(r"^type:\s*dataset", (ROOT / "CITATION.cff").read_text(), re.M)


def test_wheel_carries_the_data(tmp_path):
    """Build the wheel, install it without dependencies elsewhere, load every table from there."""
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "cwd"
    elsewhere.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(wheels)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("k2data-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True)
    script = (
        "import k2data, k2data.package as p\n"
        "assert k2data.__file__.startswith(%r), k2data.__file__\n"
        "assert p.bundled_root().name == '_data'\n"
        "print(k2data.__version__, *(len(k2data.load(t)) for t in k2data.tables()))\n" % str(target)
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    version, *counts = result.stdout.split()
    assert version == k2data.__version__
    assert [int(c) for c in counts] == [len(k2data.load(t)) for t in k2data.tables()]
