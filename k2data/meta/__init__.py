"""Meta-analysis of the dataset: effect sizes, pooling and forest plots (needs `pip install "k2data[meta]"`).

    >>> import k2data, k2data.meta as meta
    >>> effects = meta.from_outcomes(k2data.load("outcomes").query("outcome == 'fracture_any'"), measure="RR",
    ...                              exclude_retracted=False)
    >>> result = effects.pool(method="REML")        # or meta.pool(yi, vi, method="DL", test="knha")
    >>> meta.forest(result).save("forest.svg")      # .png, or .html with inline=True

Estimates match R's metafor 3.8 (tests/reference/metafor.R).
"""
from importlib.util import find_spec

_REQUIRED = {"scipy": "scipy", "statsmodels": "statsmodels", "altair": "altair", "vl_convert": "vl-convert-python"}
_missing = [package for module, package in _REQUIRED.items() if find_spec(module) is None]
if _missing:
    raise ImportError(f"k2data.meta needs {', '.join(_missing)} (not installed): pip install \"k2data[meta]\"")

from .dataset import Effects, from_outcomes  # noqa: E402
from .effects import change_sd, escalc, se_to_sd  # noqa: E402
from .plot import forest  # noqa: E402
from .pool import PoolResult, pool  # noqa: E402

__all__ = ["Effects", "PoolResult", "change_sd", "escalc", "forest", "from_outcomes", "pool", "se_to_sd"]
