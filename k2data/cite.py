"""How to cite this exact version of the dataset."""
from __future__ import annotations

import re

from .package import DataPackage

DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/)?(10\.[0-9]{4,9}/\S+)")


def cite(style: str = "text", package: DataPackage | None = None) -> str:
    """Citation of the dataset version: style "text" or "bibtex". It carries the version, the URL
    (datapackage.json `homepage`) and the DOI (datapackage.json `id`, once one is minted) when they are
    set."""
    from .loader import bundled

    d = (package or bundled()).descriptor
    contributors = d.get("contributors") if isinstance(d.get("contributors"), list) else []
    authors = [str(c.get("title")) for c in contributors if isinstance(c, dict) and c.get("role") == "author"]
    year, version, title = str(d.get("created", ""))[:4], str(d.get("version", "")), str(d.get("title", ""))
    url = d["homepage"] if isinstance(d.get("homepage"), str) else ""
    doi = DOI.fullmatch(d["id"]).group(1) if isinstance(d.get("id"), str) and DOI.fullmatch(d["id"]) else ""
    if style == "text":
        return (f"{', '.join(authors)} ({year}). {title} (version {version}) [Data set]."
                + (f" https://doi.org/{doi}" if doi else "") + (f" {url}" if url else "")
                + " Please cite the original publications of the studies you use as well.")
    if style == "bibtex":
        entries = {"author": " and ".join(authors), "title": title, "year": year, "version": version,
                   "note": "Data set", "doi": doi, "url": url}
        body = ",\n".join(f"  {key} = {{{value}}}" for key, value in entries.items() if value)
        return f"@misc{{k2data_{version.replace('.', '_')},\n{body}\n}}"
    raise ValueError(f"unknown citation style {style!r}; use 'text' or 'bibtex'")
