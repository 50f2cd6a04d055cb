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
        "assert ('version: \"%%s\"' %% k2data.__version__) in (p.bundled_root() / 'CITATION.cff').read_text()\n"
        "print(k2data.__version__, *(len(k2data.load(t)) for t in k2data.tables()))\n" % str(target)
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    version, *counts = result.stdout.split()
    assert version == k2data.__version__
    assert [int(c) for c in counts] == [len(k2data.load(t)) for t in k2data.tables()]

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "k2data", *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True)

    shown = cli("--version")
    assert shown.returncode == 0 and shown.stdout.startswith(f"k2data {version} (dataset {version} at ")
    for command in ("build", "check-release", "release"):  # maintainer commands stay in a checkout
        refused = cli(command)
        assert refused.returncode == 2 and "is the data installed with k2data" in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 1
    installed = target / "k2data" / "_data" / "tables" / "studies.csv"
    installed.write_text(installed.read_text(encoding="utf-8").replace("Zhang", "Zhan", 1), encoding="utf-8")
    damaged = subprocess.run([sys.executable, "-c", "import k2data; k2data.load('studies')"], cwd=elsewhere, env=env,
                             capture_output=True, text=True)
    assert damaged.returncode == 1 and "k2data.package.IntegrityError: table 'studies'" in damaged.stderr
    assert "reinstall k2data" in damaged.stderr
    info = cli("info")
    assert info.returncode == 2 and info.stdout == "" and info.stderr.count("\n") == 1


def release_tree(dest):
    """A copy of everything check-release reads."""
    import shutil

    from .conftest import copy_package

    copy_package(dest)
    for name in ("release.json", "CITATION.cff", "CHANGELOG.md"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def bump(root, version):
    """State a new version in datapackage.json, CITATION.cff and a new top CHANGELOG entry."""
    descriptor = json.loads((root / "datapackage.json").read_text())
    old, descriptor["version"] = descriptor["version"], version
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    cff = root / "CITATION.cff"
    cff.write_text(cff.read_text().replace(f'version: "{old}"', f'version: "{version}"'))
    log = root / "CHANGELOG.md"
    log.write_text(log.read_text().replace("\n## [", f"\n## [{version}] - 2026-11-23\n\n- test change\n\n## [", 1))


def next_versions():
    """The next PATCH, MINOR and MAJOR versions after the current one."""
    major, minor, patch = map(int, k2data.__version__.split("."))
    return f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0", f"{major + 1}.0.0"


def append_line(path, line):
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)


def test_the_repository_is_a_recorded_release():
    from k2data.release import check

    assert check(ROOT) == []


def test_changed_data_without_a_bump_fails_then_a_recorded_bump_passes(tmp_path):
    from k2data.release import check, release

    root = release_tree(tmp_path / "pkg")
    path = root / "tables" / "reports.csv"
    path.write_text(path.read_text().replace("Medical Xpress", "MedicalXpress"))
    problems = check(root)
    assert len(problems) == 1 and "reports changed since version" in problems[0] and "PATCH at least" in problems[0]
    patch, _, _ = next_versions()
    bump(root, patch)
    assert "run `k2data release`" in check(root)[0]
    assert release(root) == f"recorded version {patch} in release.json"
    assert check(root) == []


def test_added_rows_need_a_minor_bump(tmp_path):
    import pytest

    from k2data.release import check, release

    root = release_tree(tmp_path / "pkg")
    rows = (root / "tables" / "reports.csv").read_text().splitlines()
    append_line(root / "tables" / "reports.csv", rows[-1].replace("yamaguchi2011_r1", "yamaguchi2011_r2", 1) + "\n")
    assert "MINOR at least" in check(root)[0]
    patch, minor, _ = next_versions()
    bump(root, patch)
    with pytest.raises(ValueError, match="needs a MINOR bump, not PATCH"):
        release(root)
    bump(root, minor)
    release(root)
    assert check(root) == []


def test_renaming_a_column_needs_a_major_bump(tmp_path):
    import pytest

    from k2data.release import release

    root = release_tree(tmp_path / "pkg")
    schema = root / "schemas" / "reports.json"
    schema.write_text(schema.read_text().replace('"name": "outlet"', '"name": "outlet_name"'))
    bump(root, next_versions()[1])
    with pytest.raises(ValueError, match="needs a MAJOR bump, not MINOR"):
        release(root)


def test_versions_that_disagree_are_reported(tmp_path):
    from k2data.cli import main
    from k2data.release import check

    root = release_tree(tmp_path / "pkg")
    cff = root / "CITATION.cff"
    cff.write_text(cff.read_text().replace('version: "', 'version: "9'))
    assert "CITATION.cff says 9" in check(root)[0]
    assert main(["check-release", str(root)]) == 1
