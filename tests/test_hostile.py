"""The hostile-input corpus: every case refused cleanly or answered exactly.

The cases live in :mod:`tests.hostile.corpus`; each runs in a forked child with a time limit
and an address-space rlimit (:mod:`tests.hostile.zygote`). ``python -m tests.hostile.report``
prints the counts by outcome, for this checkout or an older one.
"""

from __future__ import annotations

import pytest

from .hostile.corpus import CASES, Case
from .hostile.runner import CLEAN, run_corpus


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[str, str]]:
    return {case.id: (outcome, detail) for case, outcome, detail in run_corpus(CASES)}


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    assert len(CASES) >= 200
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case, outcomes: dict[str, tuple[str, str]]) -> None:
    outcome, detail = outcomes[case.id]
    assert outcome in CLEAN, f"{outcome}: {detail}"
