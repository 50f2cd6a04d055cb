"""How to cite this exact version of the dataset."""
from __future__ import annotations

from .package import DataPackage


def cite(style: str = "text", package: DataPackage | None = None) -> str:
    """Citation of the dataset version: style "text" or "bibtex"."""
    from .loader import bundled

    d = (package or bundled()).descriptor
    contributors = d.get("contributors") if isinstance(d.get("contributors"), list) else []
    authors = [str(c.get("title")) for c in contributors if isinstance(c, dict) and c.get("role") == "author"]
    year = str(d.get("created", ""))[:4]
    version = str(d.get("version", ""))
    url = d.get("homepage", "") if isinstance(d.get("homepage"), str) else ""
    if style == "text":
        return (f"{', '.join(authors)} ({year}). {d.get('title', '')} (version {version}) [Data set]."
                + (f" {url}" if url else "")
                + " Please cite the original publications of the studies you use as well.")
    if style == "bibtex":
        lines = [f"@misc{{k2data_{version.replace('.', '_')},",
                 f"  author = {{{' and '.join(authors)}}},",
                 f"  title = {{{d.get('title', '')}}},",
                 f"  year = {{{year}}},",
                 f"  version = {{{version}}},",
                 "  note = {Data set}"]
        if url:
            lines[-1] += ","
            lines.append(f"  url = {{{url}}}")
        return "\n".join(lines) + "\n}"
    raise ValueError(f"unknown citation style {style!r}; use 'text' or 'bibtex'")
