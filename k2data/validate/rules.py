"""The registry of validation rules: every rule a contributor can break, by name.

File and column rules are derived from the Table Schemas (files.py, tables.py); the cross-field
and cross-table rules of the data model are defined here, each as one function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .report import Problem
from .tables import narrowed, plain, row_number, show
from .words import starts_with_each

SCHEMA_RULES = {
    "path": "a resource path must stay inside the package: no URL, absolute path, '..' or outside link",
    "file": "the resource file must exist and be readable",
    "schema": "the resource's Table Schema must be readable JSON",
    "descriptor": "datapackage.json and the Table Schemas are well formed: every table k2data defines, unique "
                  "names, known types, keys and foreign keys on existing fields and tables, patterns that compile, "
                  "enums of the field's type, a string version",
    "encoding": "CSV files are UTF-8 without a byte-order mark",
    "header": "the header lists the schema's fields, once each, in schema order, separated by commas",
    "row_width": "every row has as many cells as the header",
    "cell_size": "a cell holds at most 1 MiB of text",
    "hash": "the sha256 hash in datapackage.json matches the file",
    "bytes": "the size in datapackage.json matches the file",
    "parquet": "tables/NAME.parquet was built from the current CSV and holds exactly its values",
    "type": "a cell is a value of its column's type: integer [+-]digits within 64 bits; number with an optional "
            "sign, decimal point and exponent, finite; boolean as declared; date YYYY-MM-DD; no spaces around",
    "required": "a required column has a value in every row",
    "enum": "a controlled-vocabulary column holds one of its declared values",
    "pattern": "an identifier or code matches its column's pattern (DOI, PMID, IDs, CURIEs)",
    "minimum": "a number is not below its column's minimum",
    "maximum": "a number is not above its column's maximum",
    "whitespace": "a text cell has no spaces or line breaks at its start or end",
    "formula": "a text cell does not start with = + - or @, or their full-width forms (a spreadsheet would run it)",
    "control_character": "a text cell holds no control character (tab and line breaks are allowed)",
    "bidi_control": "a text cell holds no bidirectional embedding, override or isolate character",
    "zero_width": "an identifier (a key, a reference or a patterned code) holds no zero-width character",
    "primary_key": "a row's key is unique in its table",
    "foreign_key": "a reference names an existing row of the table it points to",
}


def lookup(values: pa.ChunkedArray, keys: pa.ChunkedArray, attribute: pa.ChunkedArray) -> pa.ChunkedArray:
    """For each value, the attribute of the parent row whose key it is (null when there is none).

    A dictionary-encoded column is looked up once per distinct value, and the answer keeps its indices.
    The parent rows are first narrowed to the keys looked up (tables.narrowed).
    """
    dictionary = pa.types.is_dictionary(values.type)
    if dictionary:
        wanted = pa.chunked_array([c.dictionary for c in values.chunks], values.type.value_type).combine_chunks()
    else:
        wanted = values.combine_chunks()
    keys, attribute = narrowed(wanted, keys, attribute)
    keys, attribute = plain(keys.combine_chunks()), plain(attribute.combine_chunks())
    if not dictionary:
        return pc.take(attribute, pc.index_in(values, value_set=keys))
    chunks = []
    for chunk in values.chunks:
        found, indices = pc.take(attribute, pc.index_in(chunk.dictionary, value_set=keys)), chunk.indices
        if found.null_count:  # a value without a parent row (or a blank attribute) is null, not a null entry
            indices = pc.if_else(pc.take(pc.is_valid(found), indices), indices, pa.scalar(None, indices.type))
        chunks.append(pa.DictionaryArray.from_arrays(indices, found))
    return pa.chunked_array(chunks, pa.dictionary(values.type.index_type, attribute.type))


def per_value(values: pa.ChunkedArray, compute: Callable[[pa.Array], pa.Array]) -> pa.ChunkedArray:
    """compute applied to every value; on a dictionary-encoded column, once per distinct value."""
    if not pa.types.is_dictionary(values.type):
        return compute(values)
    chunks = values.chunks or [pa.array([], values.type)]
    return pa.chunked_array([pc.take(compute(chunk.dictionary), chunk.indices) for chunk in chunks])


def is_value(values: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    """Mask of the rows holding value; on a dictionary-encoded column, compared once per distinct value."""
    return per_value(values, lambda v: pc.equal(v, value))


def differs(left: pa.ChunkedArray, right: pa.ChunkedArray | pa.Scalar):
    """Mask of the rows where both sides have a value and the values differ (null elsewhere).

    Two dictionary-encoded columns are compared by their values' positions in one shared vocabulary,
    so no text is decoded.
    """
    if isinstance(right, pa.Scalar):
        return per_value(left, lambda values: pc.not_equal(values, right))
    if pa.types.is_dictionary(left.type) and pa.types.is_dictionary(right.type):
        vocabulary = pc.unique(pa.concat_arrays([chunk.dictionary for chunk in left.chunks + right.chunks]
                                                or [pa.array([], pa.string())]))
        def position(values):
            return pc.index_in(values, value_set=vocabulary)

        return pc.not_equal(per_value(left, position), per_value(right, position))
    return pc.not_equal(plain(left), plain(right))


class Tables:
    """The typed tables of a package, handed out as pandas frames of the columns a rule needs.

    Rows with a cell that did not parse are left out of the rules' findings: the type problem is
    reported already, and the blank it leaves would only echo it.
    """

    def __init__(self, arrow: dict[str, pa.Table], unparsed_rows: dict[str, np.ndarray]):
        self.arrow = arrow
        self.unparsed_rows = unparsed_rows
        self.frames: dict[tuple, pd.DataFrame] = {}

    def problems(self, table: str, column: str, rule_name: str, mask, message: Callable[[int], str]):
        """One problem per row where mask (a pandas, numpy or Arrow boolean) is true."""
        skip = self.unparsed_rows.get(table)
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False).to_numpy(dtype=bool)
        elif isinstance(mask, np.ndarray):
            pass
        elif not pc.any(mask).as_py():  # the usual case: no row to walk, no conversion to numpy
            return
        else:
            mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        for index in np.flatnonzero(mask):
            if skip is None or not skip[index]:
                yield Problem(table, row_number(index), column, rule_name, message(int(index)))

    def has(self, *names: str) -> bool:
        return all(name in self.arrow for name in names)

    def frame(self, name: str, *columns: str) -> pd.DataFrame:
        """The columns as a pandas frame (text as categories), converted once and shared by every rule
        that asks: rules read it and never change it."""
        if (name, columns) not in self.frames:
            self.frames[name, columns] = self.arrow[name].select(list(columns)).to_pandas()
        return self.frames[name, columns]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    tables: tuple[str, ...]
    check: Callable[[Tables], Iterable[Problem]]


RULES: dict[str, Rule] = {}


def rule(name: str, description: str, *tables: str):
    """Register a cross-field or cross-table rule that needs the given tables."""
    def register(check):
        RULES[name] = Rule(name, description, tables, check)
        return check
    return register


@rule("study_identifier", "every study has a DOI, a PMID, or a complete citation (journal, volume and first page)",
      "studies")
def study_identifier(t: Tables):
    s = t.frame("studies", "doi", "pmid", "journal", "volume", "pages")
    citation = s["journal"].notna() & s["volume"].notna() & s["pages"].notna()
    yield from t.problems("studies", "doi", "study_identifier", s["doi"].isna() & s["pmid"].isna() & ~citation,
                           lambda i: "a study needs a DOI, a PMID, or a complete citation: journal, volume and "
                                     "first page, each as seen")


@rule("retraction_note", "a retracted study says why in retraction_note, and only a retracted one", "studies")
def retraction_note(t: Tables):
    s = t.frame("studies", "retracted", "retraction_note")
    retracted = s["retracted"].fillna(False).astype(bool)
    yield from t.problems("studies", "retraction_note", "retraction_note", retracted & s["retraction_note"].isna(),
                           lambda i: "a retracted study needs a retraction_note")


@rule("integrity_note", "an integrity_concern says what and where in integrity_note, and a note has a concern",
      "studies")
def integrity_note(t: Tables):
    yield from given_without(t, "studies", "integrity_concern", "integrity_note", "integrity_note",
                             "an integrity_concern needs an integrity_note: what the concern is and where it was seen")
    yield from given_without(t, "studies", "integrity_note", "integrity_concern", "integrity_note",
                             "an integrity_note needs its integrity_concern: journal_notice, integrity_assessment or "
                             "author_misconduct")


CHILD_KEYS = {"models": "model_id", "interventions": "intervention_id", "outcomes": "outcome_id",
              "mechanisms": "mechanism_id", "reports": "report_id"}


@rule("child_id_prefix", "a child row's key starts with its study_id and '_'", *CHILD_KEYS)
def child_id_prefix(t: Tables):
    for table, key in CHILD_KEYS.items():
        if not t.has(table):
            continue
        keys, studies = t.arrow[table][key], t.arrow[table]["study_id"]
        codes = studies.combine_chunks()
        codes = codes if pa.types.is_dictionary(codes.type) else codes.dictionary_encode()
        prefixes = pa.DictionaryArray.from_arrays(codes.indices, pc.binary_join_element_wise(codes.dictionary, "_", ""))
        both_given = pc.and_(pc.is_valid(keys), pc.is_valid(studies)).to_numpy(zero_copy_only=False)
        wrong = both_given & ~starts_with_each(plain(keys).combine_chunks(), prefixes)
        yield from t.problems(table, key, "child_id_prefix", wrong,
                               lambda i, keys=keys, studies=studies: f"{show(keys[i].as_py())} does not start "
                                                                     f"with {show(str(studies[i].as_py()) + '_')}")


LINKS = [("interventions", "model_id", "models", "model_id"), ("outcomes", "model_id", "models", "model_id"),
         ("outcomes", "intervention_id", "interventions", "intervention_id"),
         ("outcomes", "comparator_id", "interventions", "intervention_id"),
         ("mechanisms", "model_id", "models", "model_id")]


@rule("same_study", "a row's model, arm and comparator belong to the row's own study",
      "models", "interventions", "outcomes", "mechanisms")
def same_study(t: Tables):
    for table, column, parent, key in LINKS:
        if not t.has(table, parent):
            continue
        child, parents = t.arrow[table], t.arrow[parent]
        theirs = lookup(child[column], parents[key], parents["study_id"])
        yield from t.problems(table, column, "same_study", differs(theirs, child["study_id"]),
                              lambda i, child=child, theirs=theirs, column=column:
                              f"{show(child[column][i].as_py())} belongs to study {show(theirs[i].as_py())}, "
                              f"not {show(child['study_id'][i].as_py())}")


@rule("k2_arm", "an outcome's intervention_id is an experimental (vitamin K2) arm, and its comparator another arm",
      "interventions", "outcomes")
def k2_arm(t: Tables):
    o, arms = t.arrow["outcomes"], t.arrow["interventions"]
    arm_role = lookup(o["intervention_id"], arms["intervention_id"], arms["role"])
    yield from t.problems("outcomes", "intervention_id", "k2_arm", differs(arm_role, pa.scalar("experimental")),
                          lambda i: f"{show(o['intervention_id'][i].as_py())} is a {arm_role[i].as_py()} arm, "
                                    "not the experimental (K2) arm")
    yield from t.problems("outcomes", "comparator_id", "k2_arm", pc.invert(differs(o["comparator_id"], o["intervention_id"])),
                          lambda i: "the comparator is the K2 arm itself")


RATIO_MEASURES = ("rr", "or", "hr")


def both(*masks):
    """Rows where every mask holds (a null, an unknown, counts as not holding)."""
    out = masks[0]
    for mask in masks[1:]:
        out = pc.and_kleene(out, mask)
    return out


@rule("ci_bounds", "ci_lower <= effect_value <= ci_upper, and a CI has both bounds", "outcomes")
def ci_bounds(t: Tables):
    o = t.arrow["outcomes"]
    lo, est, hi = o["ci_lower"], o["effect_value"], o["ci_upper"]
    yield from t.problems("outcomes", "ci_upper", "ci_bounds", pc.not_equal(pc.is_null(lo), pc.is_null(hi)),
                          lambda i: "a confidence interval needs both ci_lower and ci_upper")
    yield from t.problems("outcomes", "ci_lower", "ci_bounds", pc.greater(lo, hi),
                          lambda i: f"ci_lower {lo[i].as_py()} is above ci_upper {hi[i].as_py()}")
    outside = both(pc.less_equal(lo, hi), pc.or_kleene(pc.less(est, lo), pc.greater(est, hi)))
    yield from t.problems("outcomes", "effect_value", "ci_bounds", outside,
                          lambda i: f"effect_value {est[i].as_py()} lies outside its CI [{lo[i].as_py()}, {hi[i].as_py()}]")


def ratio_rows(t: Tables):
    return per_value(t.arrow["outcomes"]["effect_measure"], lambda v: pc.is_in(v, value_set=pa.array(RATIO_MEASURES)))


@rule("ratio_positive", "ratio measures (rr, or, hr) and their CI are above 0", "outcomes")
def ratio_positive(t: Tables):
    o, ratio = t.arrow["outcomes"], ratio_rows(t)
    for column in ("effect_value", "ci_lower", "ci_upper"):
        yield from t.problems("outcomes", column, "ratio_positive", both(ratio, pc.less_equal(o[column], 0)),
                              lambda i, column=column: f"a ratio ({o['effect_measure'][i].as_py()}) must be above 0, "
                                                       f"got {o[column][i].as_py()}")


@rule("effect_measure", "effect_measure is 'none' exactly when there is no effect_value", "outcomes")
def effect_measure(t: Tables):
    o = t.arrow["outcomes"]
    none = is_value(o["effect_measure"], "none")
    yield from t.problems("outcomes", "effect_measure", "effect_measure", both(none, pc.is_valid(o["effect_value"])),
                          lambda i: "effect_value is given, so effect_measure cannot be 'none'")
    yield from t.problems("outcomes", "effect_value", "effect_measure",
                          both(pc.invert(none), pc.is_null(o["effect_value"])),
                          lambda i: f"effect_measure is {o['effect_measure'][i].as_py()!r} but effect_value is blank")


@rule("significance_ci", "'significant' agrees with whether the CI excludes the null (0, or 1 for ratios)", "outcomes")
def significance_ci(t: Tables):
    o = t.arrow["outcomes"]
    null = pc.if_else(pc.fill_null(ratio_rows(t), False), 1.0, 0.0)
    lo, hi = o["ci_lower"], o["ci_upper"]
    excludes = pc.or_kleene(pc.greater(lo, null), pc.less(hi, null))
    known = both(pc.is_valid(o["significant"]), pc.is_valid(lo), pc.is_valid(hi),
                 pc.invert(is_value(o["effect_measure"], "none")))
    yield from t.problems("outcomes", "significant", "significance_ci", both(known, pc.not_equal(o["significant"], excludes)),
                          lambda i: f"significant is {str(o['significant'][i].as_py()).lower()} but the CI "
                                    f"[{lo[i].as_py()}, {hi[i].as_py()}] "
                                    f"{'excludes' if excludes[i].as_py() else 'includes'} the null {null[i].as_py():g}")


REVIEWS = pa.array(["meta_analysis", "systematic_review"])


@rule("pooled_n_studies", "a pooled estimate of a meta-analysis or systematic review curated from its full text has "
      "n_studies (abstracts seldom state it per estimate)", "studies", "outcomes")
def pooled_n_studies(t: Tables):
    o, studies = t.arrow["outcomes"], t.arrow["studies"]
    read_reviews = pc.and_(pc.is_in(plain(studies["design"]), value_set=REVIEWS),
                           pc.equal(plain(studies["curation_status"]), "full_text"))
    ids = plain(studies["study_id"]).filter(read_reviews).combine_chunks()
    pooled = per_value(o["study_id"], lambda values: pc.is_in(values, value_set=ids))
    yield from t.problems("outcomes", "n_studies", "pooled_n_studies",
                          pc.and_(pc.and_(pooled, pc.is_valid(o["effect_value"])), pc.is_null(o["n_studies"])),
                          lambda i: "a pooled estimate read in the full text needs n_studies (the number of studies pooled)")


@rule("pooled_trial", "a pooled_trials row links an outcome of a meta-analysis or systematic review to a study of "
      "another design", "studies", "outcomes", "pooled_trials")
def pooled_trial(t: Tables):
    links, o, studies = t.arrow["pooled_trials"], t.arrow["outcomes"], t.arrow["studies"]
    review = lookup(links["outcome_id"], o["outcome_id"], o["study_id"])
    review_design = lookup(review, studies["study_id"], studies["design"])
    trial_design = lookup(links["study_id"], studies["study_id"], studies["design"])
    yield from t.problems("pooled_trials", "outcome_id", "pooled_trial",
                          both(pc.is_valid(review_design), pc.invert(pc.is_in(review_design, value_set=REVIEWS))),
                          lambda i: f"{show(links['outcome_id'][i].as_py())} is an outcome of a "
                                    f"{review_design[i].as_py()} study, not of a meta-analysis or systematic review")
    yield from t.problems("pooled_trials", "study_id", "pooled_trial", pc.is_in(trial_design, value_set=REVIEWS),
                          lambda i: f"{show(links['study_id'][i].as_py())} is itself a {trial_design[i].as_py()}; "
                                    "link the trials the review pooled")


def given_without(t: Tables, table: str, value: str, companion: str, rule_name: str, message: str):
    """Rows where value is given and its companion column is blank."""
    f = t.arrow[table]
    return t.problems(table, companion, rule_name, both(pc.is_valid(f[value]), pc.is_null(f[companion])),
                      lambda i: message)


@rule("p_qualifier", "p_value and p_qualifier are given together", "outcomes")
def p_qualifier(t: Tables):
    yield from given_without(t, "outcomes", "p_value", "p_qualifier", "p_qualifier",
                             "p_value is given, so say how: exact, less_than, at_most or greater_than")
    o = t.arrow["outcomes"]
    yield from t.problems("outcomes", "p_value", "p_qualifier", both(pc.is_null(o["p_value"]), pc.is_valid(o["p_qualifier"])),
                          lambda i: "p_qualifier is given but p_value is blank")


@rule("term_category", "an outcome's category is the category of its term (outcome_terms)", "outcome_terms", "outcomes")
def term_category(t: Tables):
    o, terms = t.arrow["outcomes"], t.arrow["outcome_terms"]
    theirs = lookup(o["outcome"], terms["term"], terms["category"])
    yield from t.problems("outcomes", "category", "term_category", differs(theirs, o["category"]),
                          lambda i: f"{show(o['category'][i].as_py())} is not the category of term "
                                    f"{show(o['outcome'][i].as_py())}, which is {show(theirs[i].as_py())}")


# (higher_is, direction) -> the arm such a result favours for bone health
FAVOURED = {("better", "increase"): "vitamin_k2", ("better", "decrease"): "comparator",
            ("worse", "increase"): "comparator", ("worse", "decrease"): "vitamin_k2"}


def sign(values: pa.ChunkedArray, plus: str, minus: str) -> pa.ChunkedArray:
    """+1 where values is plus, -1 where it is minus, 0 elsewhere (null where blank)."""
    return per_value(values, lambda v: pc.if_else(pc.equal(v, plus), 1, pc.if_else(pc.equal(v, minus), -1, 0)))


@rule("polarity", "favours does not contradict direction and the term's higher_is (a higher-is-better term that "
      "increases favours vitamin_k2, never the comparator); neither and unclear are always allowed",
      "outcome_terms", "outcomes")
def polarity(t: Tables):
    o, terms = t.arrow["outcomes"], t.arrow["outcome_terms"]
    higher = lookup(o["outcome"], terms["term"], terms["higher_is"])
    favours = o["favours"]
    # FAVOURED as signs: better/increase/vitamin_k2 are +1, worse/decrease/comparator -1, and a result
    # contradicts its term exactly when the three multiply to -1
    product = pc.multiply(pc.multiply(sign(higher, "better", "worse"), sign(o["direction"], "increase", "decrease")),
                          sign(favours, "vitamin_k2", "comparator"))
    yield from t.problems("outcomes", "favours", "polarity", pc.equal(product, -1),
                          lambda i: f"a higher {o['outcome'][i].as_py()} is {higher[i].as_py()} for bone, so a "
                                    f"{o['direction'][i].as_py()} favours "
                                    f"{FAVOURED[higher[i].as_py(), o['direction'][i].as_py()]}, not {favours[i].as_py()} "
                                    "(neither or unclear when the result is not significant or not clear)")


@rule("favours_comparison", "favours names an arm (vitamin_k2 or comparator) only on a row with a comparator; a change "
      "within one arm favours unclear", "outcomes")
def favours_comparison(t: Tables):
    o = t.arrow["outcomes"]
    named = pc.or_(is_value(o["favours"], "vitamin_k2"), is_value(o["favours"], "comparator"))
    yield from t.problems("outcomes", "favours", "favours_comparison", both(named, pc.is_null(o["comparator_id"])),
                          lambda i: f"favours is {o['favours'][i].as_py()}, but the row has no comparator_id; a change "
                                    "within one arm cannot favour an arm: use unclear (or give the comparator arm)")


@rule("spread_kind", "k2_sd and comparator_sd come with spread_kind (sd, se or unstated), and spread_kind with a spread",
      "outcomes")
def spread_kind(t: Tables):
    o = t.arrow["outcomes"]
    spread = pc.or_(pc.is_valid(o["k2_sd"]), pc.is_valid(o["comparator_sd"]))
    yield from t.problems("outcomes", "spread_kind", "spread_kind", both(spread, pc.is_null(o["spread_kind"])),
                          lambda i: "a spread is given, so say what it is: sd, se or unstated")
    yield from t.problems("outcomes", "spread_kind", "spread_kind", both(pc.invert(spread), pc.is_valid(o["spread_kind"])),
                          lambda i: "spread_kind is given but k2_sd and comparator_sd are blank")


@rule("value_kind", "arm values (k2_mean, comparator_mean) say what they are in value_kind", "outcomes")
def value_kind(t: Tables):
    o = t.arrow["outcomes"]
    values = pc.or_(pc.is_valid(o["k2_mean"]), pc.is_valid(o["comparator_mean"]))
    yield from t.problems("outcomes", "value_kind", "value_kind", both(values, pc.is_null(o["value_kind"])),
                          lambda i: "an arm value is given, so say what it is: final, change or percent_change")


@rule("event_counts", "event counts have their denominator (n_k2, n_comparator) and do not exceed it", "outcomes")
def event_counts(t: Tables):
    o = t.arrow["outcomes"]
    for events, n in (("k2_events", "n_k2"), ("comparator_events", "n_comparator")):
        yield from given_without(t, "outcomes", events, n, "event_counts",
                                 f"{events} is given, so its denominator {n} is required")
        yield from t.problems("outcomes", events, "event_counts", pc.greater(o[events], o[n]),
                              lambda i, events=events, n=n: f"{events} {o[events][i].as_py()} exceeds {n} {o[n][i].as_py()}")


@rule("units", "a dose or duration value has its unit", "interventions")
def units(t: Tables):
    for value, unit in (("dose_value", "dose_unit"), ("duration_value", "duration_unit")):
        yield from given_without(t, "interventions", value, unit, "units", f"{value} is given, so its unit is required")


def check_rules(arrow: dict[str, pa.Table], unparsed_rows: dict[str, np.ndarray], map_=map) -> list[Problem]:
    """Run every registered rule whose tables are all present and readable, in registry order; map_
    may run them in threads (they share read-only frames; a frame two threads ask for at once is
    converted twice, harmlessly)."""
    tables = Tables(arrow, unparsed_rows)
    due = [r for r in RULES.values() if r.name == "child_id_prefix" or tables.has(*r.tables)]
    return [problem for found in map_(lambda r: list(r.check(tables)), due) for problem in found]


def catalogue() -> dict[str, str]:
    """Every rule name with what it requires: the schema-derived ones, then the cross rules."""
    return SCHEMA_RULES | {name: r.description for name, r in RULES.items()}
