"""The `k2data` command: info, validate, cite, export, pool, site, build, diff, check-release, release, --version."""
from __future__ import annotations

import argparse
import os
import sys

from .package import PackageError

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


class VersionAction(argparse.Action):
    """--version: the installed package and the dataset it carries (read lazily)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        from .loader import bundled

        try:
            package = version("k2data")
        except PackageNotFoundError:
            package = "not installed"
        try:
            data = bundled()
            dataset = f"dataset {data.version} at {data.root}"
        except PackageError as exc:
            dataset = f"dataset unusable: {exc}"
        print(f"k2data {package} ({dataset})")
        parser.exit()


def cmd_info(args) -> int:
    from .cite import cite
    from .loader import bundled, load, tables

    frames = {name: load(name) for name in tables()}  # everything is read before anything is printed
    counts, studies = {name: len(frame) for name, frame in frames.items()}, frames["studies"]
    by_design = [(design, len(group), int(group["retracted"].sum()))
                 for design, group in studies.groupby("design", observed=True)]
    lines = [f"k2data {bundled().version}: vitamin K2 and bone health evidence"]
    lines += [f"  {name:<14}{count:>6} rows" for name, count in counts.items()]
    lines += ["", "Studies by design (retracted in brackets):"]
    lines += [f"  {design:<22}{count:>4}  ({retracted})" for design, count, retracted in by_design]
    concerns = studies["integrity_concern"].value_counts().sort_index()
    lines += ["", f"Studies with an integrity concern: {int(concerns.sum())} ("
              + ", ".join(f"{kind} {n}" for kind, n in concerns.items() if n) + ")"]
    lines += ["", "Cite as:", "  " + cite("text")]
    print("\n".join(lines))
    return EXIT_VALID


def cmd_validate(args) -> int:
    from .validate import validate

    report = validate(args.path)
    print(report.to_json(args.max_problems) if args.format == "json" else report.to_text(args.max_problems))
    return EXIT_VALID if report.valid else EXIT_INVALID


def cmd_cite(args) -> int:
    from .cite import cite

    print(cite(args.style))
    return EXIT_VALID


def cmd_build(args) -> int:
    from .build import build

    for name in build(args.path):
        print(f"built tables/{name}.parquet")
    print("hash and bytes updated in datapackage.json")
    return EXIT_VALID


def cmd_diff(args) -> int:
    from .diff import diff, to_json, to_markdown

    result = diff(args.old, args.new)
    print(to_json(result) if args.format == "json" else to_markdown(result), end="")
    return EXIT_VALID


def cmd_export(args) -> int:
    from .export import export

    out = export(args.format, args.out)
    what = "the evidence table" if args.format in ("csv", "parquet") else "every table, the evidence view and the data dictionary"
    print(f"wrote {what} to {out} ({args.format})")
    return EXIT_VALID


def pool_rows(term: str, designs: list[str]):
    """The outcome rows of a term from studies of the given designs ("all": every design), or a ValueError
    naming the close terms."""
    import difflib

    from .loader import load

    vocabulary = load("outcome_terms")
    terms = vocabulary["term"].tolist()
    if term not in terms:
        close = difflib.get_close_matches(term.lower(), terms, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `k2data.load('outcome_terms')` lists them"
        raise ValueError(f"{term!r} is not an outcome term{hint}")
    outcomes, studies = load("outcomes"), load("studies")
    known = list(studies["design"].cat.categories)
    if not designs:
        raise ValueError(f"--design names no design; choose from all, {', '.join(known)}")
    unknown = [d for d in designs if d != "all" and d not in known]
    if unknown:
        raise ValueError(f"unknown design {', '.join(unknown)}; choose from all, {', '.join(known)}")
    rows = outcomes[outcomes["outcome"] == term]
    if "all" not in designs:
        design = rows["study_id"].map(studies.set_index("study_id")["design"]).astype("string")
        rows = rows[design.isin(designs)]
    category = vocabulary.set_index("term").loc[term, "category"]
    return rows, category


def cmd_pool(args) -> int:
    from pathlib import Path

    from .loader import bundled

    if args.term is None and not args.compare:
        raise ValueError("name an outcome term (e.g. bmd_lumbar_spine), or use --compare for every term")
    from . import meta
    from .meta import report

    if args.compare:
        from .meta.compare import living_comparison, to_markdown

        if args.plot is not None:
            raise ValueError("--plot draws a pooled term; it does not go with --compare")
        if args.exclude_concerns:
            raise ValueError("--exclude-concerns pools one term; it does not go with --compare")
        frame = living_comparison(args.term, method=args.method, exclude_retracted=not args.include_retracted,
                                  unstated_spread=args.unstated_spread)
        print({"text": report.comparison_text, "json": report.comparison_json,
               "markdown": to_markdown}[args.format](frame).rstrip("\n"))
        return EXIT_VALID
    if args.format == "markdown":
        raise ValueError("--format markdown is for --compare; use text or json")
    plot = None if args.plot is None else Path(args.plot)
    if plot is not None and plot.exists():
        raise ValueError(f"{plot} exists already; choose a new file for the plot")
    if plot is not None and plot.suffix.lower() not in (".svg", ".png", ".html"):
        raise ValueError(f"--plot writes .svg, .png or .html, not {plot.name}")
    designs = [d.strip() for d in args.design.split(",") if d.strip()]
    rows, category = pool_rows(args.term, designs)
    measure = args.measure or ("RR" if category == "fracture" else "MD")
    effects = meta.from_outcomes(rows, measure, exclude_retracted=not args.include_retracted,
                                 exclude_concerns=args.exclude_concerns, unstated_spread=args.unstated_spread)
    reason = effects.why_not_poolable()
    result = None if reason else effects.pool(method=args.method, test=args.test)
    if plot is not None and result is not None:
        kind = plot.suffix.lower()[1:]
        meta.forest(result, title=f"{args.term}: {measure}, {args.method}").save(
            str(plot), format=kind, **({"scale_factor": 2} if kind == "png" else {"inline": True} if kind == "html" else {}))
    heading = {"dataset": bundled().version, "term": args.term, "measure": measure, "designs": designs,
               "exclude_retracted": not args.include_retracted, "exclude_concerns": args.exclude_concerns,
               "rows": len(rows)}
    if args.format == "json":
        print(report.pool_json(heading, effects, result, reason))
    else:
        scope = "retracted studies excluded" if not args.include_retracted else "retracted studies included"
        scope += ", studies with an integrity concern excluded" if args.exclude_concerns else ""
        parts = [f"k2data {heading['dataset']}: {args.term}, {measure}, designs {', '.join(designs)}, {scope}; "
                 f"{len(rows)} outcome rows", "", report.study_table(effects, result), ""]
        parts.append(report.pooled_line(result) if result else f"Cannot pool: {reason}.")
        if plot is not None:
            parts.append(f"Forest plot written to {plot}" if result else "No forest plot: nothing was pooled.")
        dropped = report.dropped_text(effects)
        print("\n".join(parts + (["", dropped] if dropped else [])))
    return EXIT_VALID if result is not None else EXIT_INVALID


def cmd_site(args) -> int:
    from .package import DataPackage
    from .site.build import build_site, human_size

    package = DataPackage(args.package) if args.package else None
    summary = build_site(args.out, package, progress=lambda step: print(f"  {step}", file=sys.stderr))
    print(f"built {summary['pages']} pages of k2data {summary['version']} in {summary['out']} "
          f"({human_size(summary['bytes'])}, {summary['seconds']:.1f} s); open {summary['out']}/index.html")
    return EXIT_VALID


def cmd_check_release(args) -> int:
    from .release import check

    problems = check(args.path)
    for problem in problems:
        print(f"check-release: {problem}")
    print("release: ok" if not problems else f"release: {len(problems)} problem(s)")
    return EXIT_VALID if not problems else EXIT_INVALID


def cmd_release(args) -> int:
    from .release import release

    print(release(args.path))
    return EXIT_VALID


class Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line (exit 2) instead of the usage block."""

    def error(self, message):
        self.exit(EXIT_UNUSABLE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    from .validate.report import MAX_PROBLEMS

    p = Parser(prog="k2data", description="Vitamin K2 and bone health evidence dataset.")
    p.add_argument("--version", action=VersionAction, help="print the package and dataset versions and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("info", help="version, tables with row counts, how to cite").set_defaults(run=cmd_info)
    v = sub.add_parser("validate", help="check a data package; exit 0 valid, 1 invalid, 2 unusable input")
    v.add_argument("path", nargs="?", help="package folder or datapackage.json (default: the bundled data)")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.add_argument("--max-problems", type=positive, default=MAX_PROBLEMS, metavar="N",
                   help=f"print at most N problems, then 'and M more' (default {MAX_PROBLEMS}); the summary counts all")
    v.set_defaults(run=cmd_validate)
    c = sub.add_parser("cite", help="how to cite this version")
    c.add_argument("--style", choices=["text", "bibtex"], default="text")
    c.set_defaults(run=cmd_cite)
    b = sub.add_parser("build", help="write Parquet from the CSVs and refresh hash/bytes")
    b.add_argument("path", nargs="?", help="package folder (default: the checkout)")
    b.set_defaults(run=cmd_build)
    d = sub.add_parser("diff", help="rows added, removed and changed between two packages")
    d.add_argument("old", help="the older package folder")
    d.add_argument("new", help="the newer package folder")
    d.add_argument("--format", choices=["markdown", "json"], default="markdown")
    d.set_defaults(run=cmd_diff)
    e = sub.add_parser("export", help="the dataset as duckdb, sqlite or xlsx; the evidence table as csv or parquet")
    e.add_argument("format", choices=["duckdb", "sqlite", "xlsx", "csv", "parquet"])
    e.add_argument("out", help="the file to write (it must not exist yet)")
    e.set_defaults(run=cmd_export)
    m = sub.add_parser("pool", help="pool a term's study results (REML by default) and print the per-study table; "
                                    "exit 0 pooled, 1 cannot pool (says why), 2 unusable input; --compare prints its "
                                    "table and exits 0",
                       description="Needs the meta extra: pip install \"k2data[meta]\".")
    m.add_argument("term", nargs="?", help="an outcome term, e.g. bmd_lumbar_spine (optional with --compare)")
    m.add_argument("--measure", type=str.upper, choices=["MD", "SMD", "RR", "OR", "RD"],
                   help="effect size (default: RR for fracture terms, MD otherwise)")
    m.add_argument("--design", default="rct", help="comma-separated study designs to pool, or all (default: rct)")
    m.add_argument("--method", type=str.upper, choices=["REML", "DL", "PM", "FE"], default="REML")
    m.add_argument("--test", choices=["z", "knha"], default="z", help="z, or knha for Hartung-Knapp (default: z)")
    m.add_argument("--include-retracted", action="store_true", help="keep retracted studies (left out by default)")
    m.add_argument("--exclude-concerns", action="store_true",
                   help="leave out studies with an integrity_concern (kept and marked by default)")
    m.add_argument("--unstated-spread", choices=["drop", "sd"], default="drop",
                   help="arm spreads the source does not call SD or SE: leave out (default) or take as SD "
                        "(an SE taken as an SD inflates the effect: check it against the row's p_value)")
    m.add_argument("--plot", metavar="FILE", help="write a forest plot: .svg, .png or .html (a new file)")
    m.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                   help="markdown: the --compare table as in docs/living-comparison.md")
    m.add_argument("--compare", action="store_true",
                   help="published pooled estimates beside our pool of the dataset's trials behind them")
    m.set_defaults(run=cmd_pool)
    s = sub.add_parser("site", help="build the static site: home, evidence map, a page per outcome and per study, "
                                    "tables, dictionary, changelog (needs k2data[site])")
    s.add_argument("out", help="a new or empty folder to write the site into")
    s.add_argument("--package", help="a package folder or datapackage.json (default: the bundled data)")
    s.set_defaults(run=cmd_site)
    r = sub.add_parser("check-release", help="fail when data or schemas changed without a version bump")
    r.add_argument("path", nargs="?", help="package folder (default: the checkout)")
    r.set_defaults(run=cmd_check_release)
    r = sub.add_parser("release", help="record the bumped version in release.json (checks the bump is big enough)")
    r.add_argument("path", nargs="?", help="package folder (default: the checkout)")
    r.set_defaults(run=cmd_release)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Python's documentation advises
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID
    except (PackageError, ValueError, OSError, ImportError) as exc:
        print(f"k2data {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # never a traceback for a user; say what broke and where to report it
        print(f"k2data {args.command}: unexpected {type(exc).__name__}: {exc} "
              "(please report this with the command you ran)", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
