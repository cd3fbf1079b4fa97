"""Counts of the corpus's outcomes, for a checkout: ``python -m tests.hostile.report [ROOT]``.

ROOT (default: this checkout) is the repository whose ``capacity`` the cases run against, so
that the same corpus measures an older version: check it out into a folder and pass it.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

from .corpus import CASES
from .runner import CLEAN, ROOT, run_corpus


def main() -> None:
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    verbose = "-v" in sys.argv
    results = run_corpus(CASES, root)
    counts = collections.Counter(outcome for _, outcome, _ in results)
    for case, outcome, detail in results:
        if outcome not in CLEAN or verbose:
            print(f"{outcome:16} {case.id}: {detail[:200]!r}")
    print(f"\n{len(results)} cases against {root}:")
    for outcome, count in counts.most_common():
        print(f"  {outcome:16} {count}")


if __name__ == "__main__":
    main()
