"""The summary of `make mutate`: per area, mutants killed out of all and the score; then the survivors,
marking those docs/mutation.md gives no reason for (a domain survivor by name, a service's by function).

Reads what `mutmut run` left in mutants/ (one `<module>.py.meta` per mutated module). Exits 1 when the
domain's score is under the bar (docs/mutation.md), or when a mutant was not tested at all.
`python -m tests.mutation_report [--min-domain 90]`
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MUTANTS = Path("mutants")
REASONS = Path("docs/mutation.md")
AREAS = (("domain", "chalicelib/domain/"), ("services", "chalicelib/services/"))

# mutmut's exit codes (mutmut/stats.py): a mutant is caught when the tests fail or hang on it.
CAUGHT = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}


@dataclass
class Area:
    name: str
    caught: int = 0
    survivors: list[tuple[str, str]] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.caught + len(self.survivors) + len(self.unchecked)

    @property
    def score(self) -> float:
        return 100.0 * self.caught / self.total if self.total else 100.0


def area_of(meta: Path) -> str | None:
    relative = meta.relative_to(MUTANTS).as_posix()
    return next((name for name, prefix in AREAS if relative.startswith(prefix)), None)


def read_areas() -> dict[str, Area]:
    areas = {name: Area(name) for name, _ in AREAS}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        name = area_of(meta)
        if name is None:
            continue
        area = areas[name]
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        for mutant, code in sorted(codes.items()):
            if code in CAUGHT:
                area.caught += 1
                area.statuses[CAUGHT[code]] += 1
            elif code in SURVIVED:
                area.survivors.append((mutant, SURVIVED[code]))
                area.statuses[SURVIVED[code]] += 1
            else:
                area.unchecked.append(mutant)
                area.statuses["not checked" if code is None else f"exit {code}"] += 1
    return areas


def is_documented(area: str, mutant: str, documented: str) -> bool:
    """A domain survivor is named in docs/mutation.md with its reason; a service's, by its function."""
    name = mutant if area == "domain" else mutant.rsplit("__mutmut", 1)[0]
    return f"`{name}`" in documented


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-domain", type=float, default=90.0, help="the domain's lowest acceptable score, in %%")
    args = parser.parse_args(argv)
    if not MUTANTS.is_dir():
        print("No mutants/ here: run `make mutate` first.")
        return 1
    areas = read_areas()
    documented = REASONS.read_text(encoding="utf-8") if REASONS.exists() else ""
    print("\nMutation score (killed or timed out / all mutants)")
    for area in areas.values():
        detail = ", ".join(f"{status} {count}" for status, count in sorted(area.statuses.items()))
        print(f"  {area.name:<9} {area.caught:>5} / {area.total:<5} {area.score:5.1f} %   ({detail})")
    for area in areas.values():
        if not area.survivors and not area.unchecked:
            continue
        print(f"\nSurvivors in {area.name} (`.venv/bin/mutmut show NAME` shows the change):")
        for mutant, status in area.survivors:
            note = "" if is_documented(area.name, mutant, documented) else "   <- no reason in docs/mutation.md"
            print(f"  {mutant}  [{status}]{note}")
        for mutant in area.unchecked:
            print(f"  {mutant}  [not checked]")
    domain = areas["domain"]
    failed = False
    if domain.score < args.min_domain:
        print(f"\nThe domain's score {domain.score:.1f} % is under {args.min_domain:.0f} %.")
        failed = True
    if any(area.unchecked for area in areas.values()):
        print("\nSome mutants were not checked: the run was interrupted.")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
