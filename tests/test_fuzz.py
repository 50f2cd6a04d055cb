"""Fuzzing: random damage to the valid fixture package (bytes, cells, rows, header, descriptor, schema,
missing files).

Whatever the damage, `k2data validate` exits 0, 1 or 2 without a traceback and without reaching the
CLI's catch-all for bugs; every problem names a table and a known rule; and the loader either returns a
table the validator found no reading problem in, or raises IntegrityError or ValueError.
The budget is fixed (derandomized, max_examples) so that CI time is predictable.
"""
import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k2data.cli import main
from k2data.loader import read_table
from k2data.package import DataPackage, PackageError
from k2data.validate import catalogue

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TABLES = ["studies", "models", "interventions", "outcome_terms", "outcomes", "pooled_trials", "mechanisms", "reports"]
# rules that say a table's files cannot be trusted or read: a table with one of them must not load
READING_RULES = {"path", "file", "schema", "descriptor", "encoding", "header", "row_width", "cell_size", "hash",
                 "bytes", "parquet", "type"}

TRICKY_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "0x10", "+120", "NaN", "1e999", "2021-02-29", "True", '"', '""', ",", "\n", "\r\n",
                     "\x00", "\u202e", "\u200b", "\uff1d1", "=1+1", "-", "9" * 30, "null", "[]", "{}"]))
JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | TRICKY_TEXT,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
                          max_leaves=6)


def any_file(root: Path, data) -> Path | None:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return data.draw(st.sampled_from(files)) if files else None


def flip_bytes(root: Path, data) -> None:
    path = any_file(root, data)
    if path is None:
        return
    raw = bytearray(path.read_bytes())
    if raw:
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    path.write_bytes(bytes(raw))


def edit_lines(root: Path, data) -> None:
    """Change a cell, or drop, repeat or cut a row, or change the header."""
    path = root / "tables" / f"{data.draw(st.sampled_from(TABLES))}.csv"
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):  # already damaged or deleted
        return
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["cell", "drop", "repeat", "cut"]))
    if action == "cell":
        cells = lines[index].split(",")
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(TRICKY_TEXT)
        lines[index] = ",".join(cells)
    elif action == "drop":
        del lines[index]
    elif action == "repeat":
        lines.insert(index, lines[index])
    else:
        lines[index] = lines[index][: data.draw(st.integers(0, len(lines[index])))]
    path.write_text("\n".join(lines), encoding="utf-8")


def edit_json(root: Path, data) -> None:
    """Set or delete a key somewhere in datapackage.json or a Table Schema."""
    path = data.draw(st.sampled_from([root / "datapackage.json", *sorted((root / "schemas").glob("*.json"))]))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):  # already damaged or deleted
        return
    node = document
    for _ in range(data.draw(st.integers(0, 4))):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        children = [(k, v) for k, v in children if isinstance(v, (dict, list)) and v]
        if not children:
            break
        node = data.draw(st.sampled_from(children))[1]
    if isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node)))
        if data.draw(st.booleans()):
            del node[key]
        else:
            node[key] = data.draw(JSON_VALUE)
    elif isinstance(node, list) and node:
        node[data.draw(st.integers(0, len(node) - 1))] = data.draw(JSON_VALUE)
    path.write_text(json.dumps(document))


def delete_file(root: Path, data) -> None:
    path = any_file(root, data)
    if path is not None:
        path.unlink()


DAMAGE = [flip_bytes, edit_lines, edit_json, delete_file]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_damage_reaches_a_traceback(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pkg"
        shutil.copytree(FIXTURES / "valid", root)
        for _ in range(data.draw(st.integers(1, 3))):
            data.draw(st.sampled_from(DAMAGE))(root, data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", str(root), "--format", "json", "--max-problems", "1000000"])
        assert code in (0, 1, 2)
        assert "Traceback" not in err.getvalue() and "please report" not in err.getvalue(), err.getvalue()
        if code == 2:
            assert err.getvalue().startswith("k2data validate: ")
            return
        problems = json.loads(out.getvalue())["problems"]
        assert (code == 0) == (not problems)
        assert all(p["table"] and p["rule"] in catalogue() for p in problems), problems
        unreadable = {p["table"] for p in problems if p["rule"] in READING_RULES}
        package = DataPackage(root)
        for name in package.resources:
            try:
                read_table(package, name)
            except (PackageError, ValueError):
                continue
            assert name not in unreadable, (name, [p for p in problems if p["table"] == name])
