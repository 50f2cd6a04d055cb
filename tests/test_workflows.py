"""The contributors' GitHub workflows: valid against GitHub's workflow schema (check-jsonschema ships it,
offline), and doing what CONTRIBUTING promises."""
import subprocess
import sys

from ruamel.yaml import YAML

from .conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def check(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *map(str, paths)], capture_output=True, text=True)


def load(name: str) -> dict:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())


def runs(workflow: dict) -> str:
    return "\n".join(step.get("run", "") + step.get("uses", "")
                     for job in workflow["jobs"].values() for step in job["steps"])


def test_the_workflows_match_githubs_schema():
    result = check(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "pull-request.yml").read_text().replace("runs-on:", "runs_on:"))
    result = check(broken)
    assert result.returncode != 0 and "runs_on" in result.stdout


def test_a_pull_request_is_validated_tested_and_its_data_diff_summarised():
    workflow = load("pull-request.yml")
    assert "pull_request" in workflow["on"]
    steps = runs(workflow)
    for command in ("k2data validate", "k2data check-release", "pytest", "apt-get install -y chromium"):
        assert command in steps, command
    assert "k2data diff ../base ." in steps and "$GITHUB_STEP_SUMMARY" in steps


def test_a_tag_builds_the_wheel_and_publishes_the_site():
    workflow = load("release.yml")
    assert workflow["on"]["push"]["tags"] == ["v*"]
    steps = runs(workflow)
    for command in ("python -m build", "k2data site site/", "actions/upload-pages-artifact",
                    "actions/deploy-pages", "k2data check-release ."):
        assert command in steps, command
