"""k2data: an open, versioned evidence dataset on vitamin K2 (menaquinones) and bone health.

    >>> import k2data
    >>> k2data.tables()
    >>> outcomes = k2data.load("outcomes", exclude_retracted=True)   # backend="polars" | "pyarrow"
    >>> k2data.evidence()                   # one row per outcome with its study, arms, model and term
    >>> con = k2data.connect()              # DuckDB: typed tables, ENUMs, keys, comments, view evidence
    >>> k2data.describe("outcomes")      # the data dictionary
    >>> k2data.pandera_schema("outcomes").validate(my_frame)  # check a frame you derived
    >>> print(k2data.cite("bibtex"))

A file that does not match its recorded hash raises k2data.IntegrityError; no data are returned.
"""
from .cite import cite
from .loader import bundled, describe, evidence, load, load_all, pandera_schema, path, schema_of, tables
from .package import IntegrityError, PackageError
from .sql import connect

__version__ = bundled().version

__all__ = ["__version__", "IntegrityError", "PackageError", "cite", "connect", "describe", "evidence", "load", "load_all",
           "pandera_schema", "path", "schema_of", "tables"]
