"""`k2data site`: the static site, checked file by file and then in a real headless Chromium."""
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import k2data
from k2data.cli import main
from k2data.package import DataPackage
from k2data.site.build import build_site

from .browser import browser, open_page, wait_for_charts

SCREENSHOTS = os.environ.get("K2DATA_SCREENSHOTS")
VIEWPORTS = [(1280, 800), (390, 844)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    summary = build_site(out)
    assert summary["pages"] == len(list(out.rglob("*.html")))
    return out


@pytest.fixture(scope="module")
def chromium():
    with browser() as instance:
        yield instance


def screenshots(tmp_path_factory) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Links(HTMLParser):
    """Every href, src and id of a page."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append((tag, name, attrs[name]))


def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_every_page_type_is_built(site):
    studies, terms = k2data.load("studies"), k2data.load("outcome_terms")
    for name in ("index.html", "map.html", "terms.html", "studies.html", "dictionary.html", "changelog.html",
                 "static/vega.js", "static/site.css", "static/site.js"):
        assert (site / name).is_file(), name
    assert {p.stem for p in (site / "studies").glob("*.html")} == set(studies["study_id"])
    assert {p.stem for p in (site / "terms").glob("*.html")} == set(terms["term"])
    assert {p.stem for p in (site / "tables").glob("*.html")} == set(k2data.tables())
    version = k2data.__version__
    for name in (f"k2data-{version}.xlsx", f"k2data-{version}.duckdb", "outcomes.csv", "outcomes.parquet",
                 "datapackage.json"):
        assert (site / "downloads" / name).stat().st_size > 0, name


def test_every_internal_link_resolves_and_nothing_is_fetched_from_the_network(site):
    pages = list(site.rglob("*.html"))
    ids = {page: parsed(page).ids for page in pages}
    checked = 0
    for page in pages:
        for tag, attribute, link in parsed(page).links:
            if tag in ("script", "link", "img") and re.match(r"[a-z]+:", link):
                pytest.fail(f"{page.relative_to(site)} loads {link} from the network")
            if re.match(r"(https?|mailto):", link):
                continue  # a link a reader may follow (DOI, PubMed), never loaded by the page
            target, _, fragment = link.partition("#")
            path = (page.parent / target).resolve() if target else page
            assert path.is_file() and site.resolve() in path.parents, f"{page.relative_to(site)}: {link}"
            if fragment and path.suffix == ".html":
                assert fragment in ids.get(path, parsed(path).ids), f"{page.relative_to(site)}: {link}"
            checked += 1
    assert checked > 1000


def test_a_retracted_study_has_a_banner_and_identifier_links(site):
    html = (site / "studies" / "sato2002.html").read_text()
    assert 'class="banner"' in html and "Retracted." in html
    assert "https://pubmed.ncbi.nlm.nih.gov/12110423/" in html and "https://doi.org/10.1016/" in html
    assert "iwamoto2009_o1" in html  # pooled in a (retracted) meta-analysis


def test_a_study_with_an_integrity_concern_says_what_and_is_flagged_in_the_list(site):
    html = (site / "studies" / "sato2011.html").read_text()
    assert "Integrity concern (author misconduct)." in html and "Yoshihiro Sato" in html
    assert "Retracted." not in html
    listing = (site / "studies.html").read_text()
    row = next(line for line in listing.splitlines() if 'href="studies/sato2011.html"' in line)
    assert '<span class="flag">integrity concern</span>' in row


def test_a_study_with_press_reports_shows_their_grades(site):
    reports = k2data.load("reports")
    study, grade = reports.iloc[0]["study_id"], str(reports.iloc[0]["accuracy"])
    assert f'class="grade grade-{grade}"' in (site / "studies" / f"{study}.html").read_text()


def test_the_dictionary_is_generated_from_the_schemas(site):
    html = (site / "dictionary.html").read_text()
    for name in [*k2data.tables(), "evidence"]:
        assert f'id="{name}"' in html
        for column in k2data.describe(name)["column"]:
            assert f"<td>{column}</td>" in html, (name, column)


def test_the_changelog_page_is_the_changelog(site):
    assert f"<h2>[{k2data.__version__}]" in (site / "changelog.html").read_text()


def test_site_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["site", str(tmp_path)]) == 2
    assert "is not an empty folder" in capsys.readouterr().err and (tmp_path / "keep.txt").read_text() == "mine"


def test_site_builds_from_a_given_package(tmp_path, capsys):
    fixture = Path(__file__).parent / "fixtures" / "valid"
    assert main(["site", str(tmp_path / "out"), "--package", str(fixture)]) == 0
    assert "built" in capsys.readouterr().out
    assert (tmp_path / "out" / "studies" / "fixture2020.html").is_file()
    version = DataPackage(fixture).version
    assert f"k2data <span class=\"version\">{version}</span>" in (tmp_path / "out" / "index.html").read_text()


def sample_pages(site: Path) -> list[str]:
    terms = sorted((site / "terms").glob("*.html"))
    with_chart = next(p for p in terms if "data-chart" in p.read_text())
    without = next(p for p in terms if "data-chart" not in p.read_text())
    reported = k2data.load("reports").iloc[0]["study_id"]
    return ["index.html", "map.html", "terms.html", str(with_chart.relative_to(site)),
            str(without.relative_to(site)), "studies.html", "studies/sato2002.html", f"studies/{reported}.html",
            "tables/outcomes.html", "tables/studies.html", "dictionary.html", "changelog.html"]


def test_every_page_type_renders_in_chromium_without_errors_or_network(site, chromium, tmp_path_factory):
    shots = screenshots(tmp_path_factory)
    for name in sample_pages(site):
        for width, height in VIEWPORTS:
            with open_page(chromium, site / name, width, height) as (page, visit):
                charts = wait_for_charts(page)
                if charts:
                    marks = page.locator("[data-chart] svg [class^='mark-'] > *").count()
                    assert marks > 0, name
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{name} at {width}px scrolls sideways by {overflow}px"
                page.screenshot(path=str(shots / f"{name.replace('/', '_')}-{width}.png"), full_page=False)
            assert not visit.errors, (name, visit.errors)
            assert not visit.network, (name, visit.network)
    assert len(list(shots.glob("*.png"))) >= 2 * len(sample_pages(site))


def bubbles(page) -> int:
    return page.locator("#map svg .mark-symbol path").count()


def test_the_map_filters_change_the_bubbles_and_a_click_lists_the_studies(site, chromium):
    with open_page(chromium, site / "map.html") as (page, visit):
        wait_for_charts(page)
        everything = bubbles(page)
        assert everything > 50
        page.select_option("select[name=design]", "rct")
        page.wait_for_function(f"document.querySelectorAll('#map svg .mark-symbol path').length < {everything}")
        trials = bubbles(page)
        page.check("input[name=retracted]")
        page.wait_for_function(f"document.querySelectorAll('#map svg .mark-symbol path').length > {trials}")
        with_retracted = bubbles(page)
        page.select_option("select[name=design]", "all")
        page.select_option("select[name=system]", "animal")
        page.wait_for_function(f"document.querySelectorAll('#map svg .mark-symbol path').length != {with_retracted}")
        page.select_option("select[name=system]", "all")
        page.wait_for_function(f"document.querySelectorAll('#map svg .mark-symbol path').length > {trials}")
        records = map_records(site)
        for i in (0, 7, 23):  # a click lists exactly the studies its bubble counts
            page.locator("#map svg .mark-symbol path").nth(i).dispatch_event("click")
            page.wait_for_selector("#picked li a")
            heading = page.inner_text("#picked h2")
            term, agent, design, count = re.fullmatch(r"(.+) with (.+), (\w+): (\d+) stud(?:y|ies)", heading).groups()
            expected = {r["study_id"] for r in records if r["term_label"] == term and r["agent"] == agent
                        and r["design"] == design and not r["retracted"]}
            assert int(count) == len(expected) == page.locator("#picked li").count(), heading
            assert (site / page.locator("#picked li a").first.get_attribute("href")).is_file()
    assert not visit.errors and not visit.network


def test_a_table_filters_by_search_and_by_enum(site, chromium):
    with open_page(chromium, site / "tables" / "studies.html") as (page, visit):
        total = page.locator("#table-studies tbody tr").count()
        assert page.inner_text("[data-count=table-studies]") == f"{total} of {total} rows"
        page.select_option("select[data-name=design]", "rct")
        rcts = int((k2data.load("studies")["design"] == "rct").sum())
        assert page.inner_text("[data-count=table-studies]") == f"{rcts} of {total} rows"
        page.fill("input[data-search=table-studies]", "menatetrenone")
        shown = page.locator("#table-studies tbody tr:not([hidden])").count()
        assert 0 < shown < rcts
    assert not visit.errors and not visit.network


def embedded(html: str, element_id: str):
    return json.loads(re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)[1])


def map_records(site: Path) -> list[dict]:
    return embedded((site / "map.html").read_text(), "map-records")


def test_the_map_data_counts_studies_as_the_evidence_table_does(site):
    records = map_records(site)
    evidence = k2data.evidence()
    assert {r["study_id"] for r in records} == set(evidence["study_id"])
    mk7_spine = {r["study_id"] for r in records if r["agent"] == "MK-7" and r["term"] == "bmd_lumbar_spine"}
    expected = evidence[(evidence["k2_agent"] == "mk7") & (evidence["outcome"] == "bmd_lumbar_spine")]
    assert mk7_spine == set(expected["study_id"])


def test_no_effect_plot_mixes_measures_or_units(site):
    checked = 0
    for page in (site / "terms").glob("*.html"):
        html = page.read_text()
        for plot in re.findall(r'id="(plot-\d+-spec)"', html):
            spec = embedded(html, plot)
            rows = next(iter(spec["datasets"].values()))
            title = spec["layer"][0]["encoding"]["x"]["title"]
            units = {r["unit"].split()[0].lower() for r in rows if r["unit"].strip()}
            if title.startswith("Mean difference"):
                assert len(units) <= 1, (page.name, title, units)
            checked += 1
    assert checked >= 10


def test_a_reported_ci_is_drawn_as_printed(site):
    spec = embedded((site / "terms" / "fracture_nonvertebral.html").read_text(), "plot-1-spec")
    sato = next(r for r in next(iter(spec["datasets"].values())) if r["label"].startswith("Sato 2011"))
    assert (sato["lower"], sato["upper"]) == pytest.approx((0.12, 0.81))  # sato2011_o2: RR 0.31 (0.12 to 0.81)
