"""`k2data site OUT`: a self-contained static site of a data package: home, evidence map, a page per
outcome term and per study, browsable tables, the data dictionary and the changelog. No server, no CDN:
charts are Vega-Lite specs rendered by the Vega bundle that vl-convert ships, written once to static/."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import schema as ts
from ..cite import cite
from ..export import export
from ..evidence import TABLES as EVIDENCE_TABLES
from ..evidence import evidence_table
from ..loader import bundled, convert, evidence_schema_of, read_arrow, require_module
from ..meta import from_outcomes
from ..meta.compare import MEASURE_OF, is_published
from ..meta.dataset import study_labels
from ..package import DataPackage
from . import charts

HERE = Path(__file__).resolve().parent
TRIALS = ("rct", "non_randomised_trial")
STUDY_TABLES = {  # table: (title, columns shown on a study page)
    "models": ("Models (populations and systems)", ["model_id", "system", "species", "strain", "cell_line", "sex",
                                                    "age", "condition", "n"]),
    "interventions": ("Arms", ["intervention_id", "arm", "role", "agent", "dose_value", "dose_unit", "route",
                               "duration_value", "duration_unit", "co_interventions", "n_assigned"]),
    "outcomes": ("Outcomes", ["outcome_id", "outcome", "measured_as", "outcome_detail", "timepoint", "subgroup",
                              "direction", "favours", "significant", "effect_measure", "effect_value", "ci_lower",
                              "ci_upper", "p_value", "n_k2", "n_comparator", "evidence"]),
    "mechanisms": ("Mechanisms", ["mechanism_id", "target", "hgnc_symbol", "go_id", "effect", "bone_role",
                                  "evidence_type", "evidence"]),
    "reports": ("Press reports", ["report_id", "outlet", "title", "published", "url", "claim", "accuracy",
                                  "accuracy_note"]),
}


def cell(value) -> str:
    """A value as the site shows it: blank for missing, numbers without trailing zeros."""
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def script_json(value) -> str:
    """JSON to embed in <script type="application/json">: <, > and & written as \\u escapes, so no text can
    close the element; marked safe for Jinja (it is not HTML-escaped)."""
    from markupsafe import Markup

    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def environment():
    jinja2 = require_module("jinja2", "site")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["cell"] = cell
    env.filters["spec"] = script_json
    return env


class Site:
    """Writes the pages of one package into OUT."""

    def __init__(self, out: Path, package: DataPackage):
        self.out, self.package = out, package
        self.env = environment()
        arrow = {name: read_arrow(package, name) for name in package.resources}  # each file read once
        self.tables = {name: convert(table, package.resource(name).schema, "pandas") for name, table in arrow.items()}
        schema = evidence_schema_of(package)
        self.evidence = convert(evidence_table({name: arrow[name] for name in EVIDENCE_TABLES}, schema), schema,
                                "pandas")
        self.labels = study_labels(self.tables["studies"])
        self.pages = 0

    def enum(self, table: str, field: str) -> list[str]:
        """The declared values of an enum field, in order."""
        return next(f["constraints"]["enum"] for f in self.package.resource(table).schema["fields"] if f["name"] == field)

    def write(self, path: str, template: str, **context) -> None:
        depth = path.count("/")
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        html = self.env.get_template(template).render(root="../" * depth, version=self.package.version,
                                                      page=path, labels=self.labels, **context)
        target.write_text(html, encoding="utf-8")
        self.pages += 1

    def static(self) -> None:
        import vl_convert

        (self.out / "static").mkdir(parents=True)
        (self.out / "static" / "vega.js").write_text(vl_convert.javascript_bundle(), encoding="utf-8")
        for name in ("site.css", "site.js"):
            shutil.copy(HERE / "static" / name, self.out / "static" / name)

    def downloads(self) -> list[dict]:
        folder = self.out / "downloads"
        folder.mkdir()
        files = []
        for name, resource in self.package.resources.items():
            for source in (resource.csv_path, resource.parquet_path):
                if source.exists():
                    shutil.copy(source, folder / source.name)
                    files.append(source.name)
        shutil.copy(self.package.root / "datapackage.json", folder / "datapackage.json")
        files.append("datapackage.json")
        for fmt in ("xlsx", "duckdb"):
            export(fmt, folder / f"k2data-{self.package.version}.{fmt}", self.package)
            files.append(f"k2data-{self.package.version}.{fmt}")
        return [{"name": name, "size": (folder / name).stat().st_size} for name in files]

    def home(self, downloads: list[dict]) -> None:
        studies = self.tables["studies"]
        by_design = [(design, len(group), int(group["retracted"].fillna(False).sum()))
                     for design, group in studies.groupby("design", observed=True)]
        self.write("index.html", "index.html", title="k2data", descriptor=self.package.descriptor,
                   counts={name: len(frame) for name, frame in self.tables.items()}, by_design=by_design,
                   citation=cite("text", self.package), bibtex=cite("bibtex", self.package), downloads=downloads)

    def evidence_map(self) -> None:
        records = charts.map_records(self.evidence, self.labels)
        categories = self.enum("outcome_terms", "category")
        designs = [d for d in self.enum("studies", "design") if any(r["design"] == d for r in records)]
        systems = [s for s in self.enum("models", "system") if any(r["system"] == s for r in records)]
        spec = charts.evidence_map(records, categories, designs, systems)
        self.write("map.html", "map.html", title="Evidence map", spec=spec, records=records,
                   studies=len({r["study_id"] for r in records}),
                   retracted=len({r["study_id"] for r in records if r["retracted"]}))

    def terms(self) -> None:
        terms, evidence, studies = self.tables["outcome_terms"], self.evidence, self.tables["studies"]
        counts = evidence.groupby("outcome", observed=True)["study_id"].nunique()
        self.write("terms.html", "terms.html", title="Outcome terms", terms=terms, counts=counts.to_dict())
        for term in terms.itertuples():
            rows = evidence[evidence["outcome"] == term.term]
            measure = "RR" if term.category == "fracture" else "MD"
            trials = rows[rows["study_design"].isin(TRIALS)]
            effects = pooled = reason = None
            if len(trials):
                effects = from_outcomes(trials, measure, studies=studies)
                reason = effects.why_not_poolable()
                pooled = None if reason else effects.pool()
            estimates = is_published(rows["study_design"], rows["effect_measure"], rows["effect_value"])
            published = rows[estimates & rows[["ci_lower", "ci_upper"]].notna().all(axis=1)
                             & ~rows["study_retracted"].fillna(False).astype(bool)]
            published = published.assign(measure=published["effect_measure"].astype(str).map(MEASURE_OF),
                                         label=published["study_id"].map(self.labels))
            plots = []
            drawn = charts.effect_rows(effects, pooled, published, rows.set_index("outcome_id"))
            for (m, unit), frame in drawn.items():
                shown = next((u.split()[0] for u in frame["unit"] if u.strip()), unit) if unit else ""
                plots.append({"title": charts.NAMES.get(m, m) + (f", {shown}" if shown else ""),
                              "spec": charts.effect_chart(frame, m, shown)})
            without_ci = int((estimates & rows["ci_lower"].isna()).sum())
            self.write(f"terms/{term.term}.html", "term.html", title=term.label, term=term, rows=rows, plots=plots,
                       measure=measure, effects=effects, reason=reason, pooled=pooled, trials=len(trials),
                       without_ci=without_ci)

    def studies(self) -> None:
        studies = self.tables["studies"]
        self.write("studies.html", "studies.html", title="Studies", studies=studies)
        links = self.tables["pooled_trials"]
        review_of = links["outcome_id"].map(self.tables["outcomes"].set_index("outcome_id")["study_id"])
        for study in studies.itertuples():
            sections = []
            for table, (title, columns) in STUDY_TABLES.items():
                frame = self.tables[table]
                shown = [c for c in columns if c in frame.columns]
                sections.append({"title": title, "table": table, "columns": shown,
                                 "rows": frame.loc[frame["study_id"] == study.study_id, shown]})
            self.write(f"studies/{study.study_id}.html", "study.html", title=self.labels[study.study_id],
                       study=study, sections=sections, pooled_in=links[links["study_id"] == study.study_id],
                       trials=links[review_of == study.study_id])

    def browsable_tables(self) -> None:
        for name, frame in self.tables.items():
            schema = self.package.resource(name).schema
            enums = {f["name"]: [v for v in f["constraints"]["enum"] if (frame[f["name"]] == v).any()]
                     for f in schema["fields"] if f.get("constraints", {}).get("enum")}
            long_text = {c for c in frame.columns if frame[c].astype("string").fillna("").str.len().max() > 60}
            self.write(f"tables/{name}.html", "table.html", title=f"Table {name}", name=name, frame=frame,
                       enums=enums, long_text=long_text, description=self.package.resource(name).descriptor.get("title", ""))

    def dictionary(self) -> None:
        dictionaries = {name: ts.describe(self.package.resource(name).schema) for name in self.tables}
        dictionaries["evidence"] = ts.describe(evidence_schema_of(self.package))
        self.write("dictionary.html", "dictionary.html", title="Data dictionary", dictionaries=dictionaries)

    def changelog(self) -> None:
        from markdown_it import MarkdownIt

        path = self.package.root / "CHANGELOG.md"
        text = path.read_text(encoding="utf-8") if path.exists() else "This package has no CHANGELOG.md."
        html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
        self.write("changelog.html", "changelog.html", title="Changelog", html=html)


def build_site(out: str | Path, package: DataPackage | None = None,
               progress: Callable[[str], None] = lambda message: None) -> dict:
    """Build the site into OUT (a new or empty folder) and say what was written: pages, bytes, seconds."""
    for module in ("jinja2", "markdown_it", "altair", "vl_convert"):
        require_module(module, "site")
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder; choose a new one")
    package = package or bundled()
    out.mkdir(parents=True, exist_ok=True)
    site = Site(out, package)
    steps = [("static files and the Vega bundle", site.static),
             ("downloads (CSV, Parquet, xlsx, DuckDB) and the home page", lambda: site.home(site.downloads())),
             ("evidence map", site.evidence_map), ("outcome term pages", site.terms), ("study pages", site.studies),
             ("browsable tables", site.browsable_tables), ("data dictionary", site.dictionary),
             ("changelog", site.changelog)]
    for message, step in steps:
        progress(message)
        step()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"out": out, "pages": site.pages, "bytes": size, "seconds": time.perf_counter() - started,
            "version": package.version}


def human_size(size: float) -> str:
    """1.2 MiB, 340.5 KiB, 12 B."""
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
