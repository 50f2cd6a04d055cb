"""Integrity at load: every file load reads matches its recorded hash, or IntegrityError names the
table and the file and says what to do; no data are returned, and the CLI answers in one line."""
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from k2data import loader
from k2data.cli import main
from k2data.package import PARQUET_HASH, PARQUET_SOURCE_KEY, DataPackage, IntegrityError, sha256

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    """A copy of the valid fixture package, served as the bundled one."""
    dest = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "valid", dest)
    monkeypatch.setattr(loader, "bundled", lambda: DataPackage(dest))
    return dest


def tamper_parquet(path: Path, column: str = "year") -> None:
    """Change one whole number but keep every piece of metadata, as a careful forger would."""
    table = pq.read_table(path)
    values = table[column].to_pylist()
    values[0] = 1999
    pq.write_table(table.set_column(table.schema.get_field_index(column), column, pa.array(values, pa.int64())), path)


def test_integrity_error_is_part_of_the_api():
    import k2data

    assert k2data.IntegrityError is IntegrityError and issubclass(IntegrityError, ValueError)


def test_the_valid_package_loads(package):
    assert loader.load("studies")["year"].tolist() == [2020, 2021]


@pytest.mark.parametrize("damage", ["tampered", "truncated", "empty"])
def test_a_damaged_parquet_never_loads(package, damage):
    path = package / "tables" / "studies.parquet"
    if damage == "tampered":
        tamper_parquet(path)
    else:
        path.write_bytes(path.read_bytes()[:100] if damage == "truncated" else b"")
    with pytest.raises(IntegrityError, match=r"table 'studies': tables/studies.parquet does not match the Parquet hash"):
        loader.load("studies")


def test_a_parquet_with_a_forged_hash_but_from_another_csv_never_loads(package):
    path = package / "tables" / "studies.parquet"
    tamper_parquet(path)
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({PARQUET_SOURCE_KEY: b"sha256:" + b"0" * 64}), path)
    descriptor = json.loads((package / "datapackage.json").read_text())
    next(r for r in descriptor["resources"] if r["name"] == "studies")[PARQUET_HASH] = sha256(path.read_bytes())
    (package / "datapackage.json").write_text(json.dumps(descriptor))
    with pytest.raises(IntegrityError, match="was not built from the current CSV"):
        loader.load("studies")


def test_an_edited_csv_never_loads_even_without_parquet(package):
    (package / "tables" / "studies.parquet").unlink()
    path = package / "tables" / "studies.csv"
    path.write_text(path.read_text().replace(",2020,", ",1999,"))
    with pytest.raises(IntegrityError, match=r"tables/studies.csv does not match the hash .* run `k2data build`"):
        loader.load("studies")


def test_a_missing_parquet_falls_back_to_the_verified_csv(package):
    (package / "tables" / "studies.parquet").unlink()
    assert loader.load("studies")["year"].tolist() == [2020, 2021]


def test_a_package_without_recorded_hashes_does_not_load(package):
    descriptor = json.loads((package / "datapackage.json").read_text())
    del next(r for r in descriptor["resources"] if r["name"] == "reports")["hash"]
    (package / "datapackage.json").write_text(json.dumps(descriptor))
    with pytest.raises(IntegrityError, match="records no hash"):
        loader.load("reports")


def test_a_missing_csv_is_an_integrity_error(package):
    (package / "tables" / "reports.csv").unlink()
    with pytest.raises(IntegrityError, match=r"tables/reports.csv cannot be read"):
        loader.load("reports")


def test_info_prints_one_line_and_nothing_else_on_damage(package, capsys):
    tamper_parquet(package / "tables" / "outcomes.parquet", "n_k2")
    assert main(["info"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("k2data info: table 'outcomes'") and "Traceback" not in err


def test_version_names_the_package_and_the_dataset(capsys):
    import k2data

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"k2data {k2data.__version__} (dataset {k2data.__version__} at ")


def test_a_parquet_with_broken_text_is_reported_not_raised(package, capsys):
    """A byte flipped inside a text value of the Parquet copy (found by the fuzz test) leaves a file that
    reads, with a value that is not UTF-8: validate names the file instead of crashing on the value."""
    from k2data.validate import validate

    path = package / "tables" / "studies.parquet"
    table = pq.read_table(path)
    pq.write_table(table, path, compression="none", use_dictionary=False, write_statistics=False)
    raw = path.read_bytes()
    title = table["title"][0].as_py().encode()
    assert raw.count(title) == 1
    path.write_bytes(raw.replace(title, b"\xff" + title[1:]))
    assert pq.read_table(path)["title"].is_valid  # the file itself still reads
    problems = [str(p) for p in validate(package).problems if p.rule == "parquet"]
    assert problems and all("studies.parquet cannot be read" in p for p in problems), problems
    with pytest.raises(IntegrityError):
        loader.load("studies")
    assert main(["validate", str(package)]) == 1 and "please report" not in capsys.readouterr().err


@pytest.mark.parametrize("parquet", [True, False])
@pytest.mark.parametrize("wrong", ["one more", "false", "as text"])
def test_a_wrong_recorded_size_never_loads(package, parquet, wrong):
    """datapackage.json's bytes disagreeing with the CSV makes the package invalid (rule bytes), so the
    loader refuses the table too, even when the CSV's hash is right (found by the fuzz test)."""
    from k2data.validate import validate

    if not parquet:
        (package / "tables" / "studies.parquet").unlink()
    descriptor = json.loads((package / "datapackage.json").read_text())
    studies = next(r for r in descriptor["resources"] if r["name"] == "studies")
    size = (package / "tables" / "studies.csv").stat().st_size
    assert studies["bytes"] == size
    recorded = {"one more": size + 1, "false": False, "as text": str(size)}[wrong]
    studies["bytes"] = recorded
    (package / "datapackage.json").write_text(json.dumps(descriptor))
    assert {p.rule for p in validate(package).problems if p.table == "studies"} == {"bytes"}
    with pytest.raises(IntegrityError, match=rf"tables/studies.csv has {size} bytes, datapackage.json records {recorded!r}"):
        loader.load("studies")
