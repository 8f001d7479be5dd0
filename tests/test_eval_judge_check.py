from collections.abc import Sequence

from rag.answerers import Evidence, SupportJudge, Verdict
from rag.eval.judge_check import CLAIMS, measure


def test_labelled_claims_cover_every_kind() -> None:
    text = CLAIMS.read_text()
    for kind in ("paraphrase", "entity", "number", "date", "negation"):
        assert f'"kind": "{kind}"' in text


def test_judge_precision_and_recall_on_labelled_claims() -> None:
    s = measure()
    assert s.n >= 40
    assert s.precision >= 0.95 and s.recall >= 0.85, s.errors
    assert s.by_kind["entity"] == 1.0 and s.by_kind["number"] == 1.0


def test_measure_can_fail() -> None:
    # A judge that accepts anything has poor precision: the measurement notices.
    lax = measure(_AlwaysYes())
    assert lax.precision < 0.5 and lax.recall == 1.0


class _AlwaysYes(SupportJudge):
    def judge(self, claim: str, passages: Sequence[Evidence]) -> Verdict:
        return Verdict(supported=True)
