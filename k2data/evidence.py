"""The analysis-ready evidence table: one row per outcome with its study, its arms, its model and its
term beside it. It is defined once, by JOINS below: the Arrow table behind k2data.evidence(), the
DuckDB view `evidence` and its data dictionary all come from it."""
from __future__ import annotations

import pyarrow as pa

from . import schema as ts

# prefix of the columns, the table joined, the outcomes column that points at it, its key, its columns
JOINS = [
    ("study_", "studies", "study_id", "study_id",
     ["design", "year", "retracted", "integrity_concern", "industry_involvement"]),
    ("k2_", "interventions", "intervention_id", "intervention_id",
     ["agent", "dose_value", "dose_unit", "duration_value", "duration_unit"]),
    ("comparator_", "interventions", "comparator_id", "intervention_id",
     ["agent", "dose_value", "dose_unit", "duration_value", "duration_unit"]),
    ("model_", "models", "model_id", "model_id", ["system", "species", "condition"]),
    ("term_", "outcome_terms", "outcome", "term", ["label", "higher_is"]),
]
WHOSE = {"study_": "the study's", "k2_": "the K2 arm's", "comparator_": "the comparator arm's",
         "model_": "the model's", "term_": "the outcome term's"}
TABLES = ["outcomes", *dict.fromkeys(table for _, table, _, _, _ in JOINS)]  # what the table is built from


def evidence_schema(schemas: dict[str, dict]) -> dict:
    """The Table Schema of the evidence table, from the schemas of the tables it joins: every outcomes
    field, then each joined field under its prefix, with its type, categories and description."""
    fields = list(ts.fields(schemas["outcomes"]))
    for prefix, table, via, _, columns in JOINS:
        source = {f["name"]: f for f in ts.fields(schemas[table])}
        for column in columns:
            field = source[column]
            c = {k: v for k, v in ts.constraints(field).items() if k == "enum"}  # joined values may be blank
            fields.append({"name": prefix + column, "type": field["type"], **({"constraints": c} if c else {}),
                           "description": f"{WHOSE[prefix].capitalize()} {column} ({table}.{column}, through "
                                          f"outcomes.{via}): {field.get('description', '')}"})
    return {"fields": fields, "primaryKey": ["outcome_id"], "missingValues": [""]}


def evidence_table(tables: dict[str, pa.Table], schema: dict) -> pa.Table:
    """The evidence table from the tables it joins (each in its stored schema), in outcomes order."""
    from .read import with_categories

    def plain(table: pa.Table) -> pa.Table:  # joins take no dictionary columns
        return table.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                                     for f in table.schema]))

    out = plain(tables["outcomes"]).append_column("_row", pa.array(range(tables["outcomes"].num_rows)))
    for prefix, table, via, key, columns in JOINS:
        right = plain(tables[table]).select([key, *columns])
        right = right.rename_columns([f"_{via}_key", *(prefix + c for c in columns)])
        out = out.join(right, keys=via, right_keys=f"_{via}_key", join_type="left outer")
    out = out.sort_by("_row")
    return with_categories(out.select(ts.field_names(schema)), schema, name="evidence")


def view_sql(name: str = "evidence") -> str:
    """CREATE VIEW statement of the same table over the package's tables (DuckDB)."""
    joined = [f'"{table}_{index}"."{column}" AS "{prefix}{column}"'
              for index, (prefix, table, _, _, columns) in enumerate(JOINS) for column in columns]
    joins = [f'LEFT JOIN "{table}" AS "{table}_{index}" ON "{table}_{index}"."{key}" = o."{via}"'
             for index, (_, table, via, key, _) in enumerate(JOINS)]
    return (f'CREATE VIEW "{name}" AS SELECT o.*, ' + ", ".join(joined) + ' FROM "outcomes" AS o '
            + " ".join(joins))
