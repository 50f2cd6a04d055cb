"""Problems found by the validator, and how they are printed: TABLE:ROW:COLUMN: message [rule]."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

MAX_PROBLEMS = 200  # problems printed by default; the summary and the JSON count them all


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong. row is the line number a spreadsheet shows (header = 1); None = the whole table
    or its descriptor, printed as '-'."""

    table: str
    row: int | None
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else self.row
        return f"{self.table}:{row}:{self.column or ''}: {self.message} [{self.rule}]"


@dataclass
class Report:
    """Everything the validator found, in table order."""

    tables: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def sorted(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.tables)}
        return sorted(self.problems, key=lambda p: (order.get(p.table, len(order)), p.table,
                                                    p.row if p.row is not None else -1,
                                                    p.column or "", p.rule, p.message))

    def summary(self) -> str:
        if self.valid:
            return f"valid: {len(self.tables)} tables, no problems"
        touched = len({p.table for p in self.problems})
        return f"invalid: {len(self.problems)} problem(s) in {touched} table(s)"

    def to_text(self, max_problems: int = MAX_PROBLEMS) -> str:
        shown = self.sorted()[:max_problems]
        more = len(self.problems) - len(shown)
        return "\n".join([*map(str, shown), *([f"and {more} more"] if more else []), self.summary()])

    def to_json(self, max_problems: int = MAX_PROBLEMS) -> str:
        shown = self.sorted()[:max_problems]
        return json.dumps({"valid": self.valid, "summary": self.summary(), "count": len(self.problems),
                           "shown": len(shown), "problems": [asdict(p) for p in shown]}, indent=2, ensure_ascii=False)
