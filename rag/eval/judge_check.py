"""Measure the support judge itself on hand-labelled claims (`rag/eval/judge_claims.jsonl`:
supported claims, verbatim or paraphrased, vs. claims with a swapped entity, number, date or
negation). Precision/recall are of the "supported" verdict: precision low = the judge lets
unfaithful sentences through; recall low = it rejects faithful ones.

    python -m rag.eval.judge_check
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from rag.answerers import Evidence, SupportJudge

CLAIMS = Path(__file__).resolve().parent / "judge_claims.jsonl"


class JudgeScore(BaseModel):
    n: int
    precision: float
    recall: float
    accuracy: float
    by_kind: dict[str, float]  # share judged correctly, per kind of claim
    errors: list[str]

    def summary(self) -> dict[str, float]:
        return {
            "judge_precision": self.precision,
            "judge_recall": self.recall,
            "judge_accuracy": self.accuracy,
            "judge_claims": float(self.n),
        }


def measure(judge: SupportJudge | None = None, path: Path = CLAIMS) -> JudgeScore:
    judge = judge or SupportJudge()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tp = fp = fn = 0
    kinds: dict[str, list[bool]] = {}
    errors = []
    for r in rows:
        said = judge.judge(r["claim"], [Evidence(r["source"])]).supported
        gold = bool(r["supported"])
        tp += said and gold
        fp += said and not gold
        fn += gold and not said
        kinds.setdefault(r["kind"], []).append(said == gold)
        if said != gold:
            errors.append(f"{r['id']} ({r['kind']}, gold {'supported' if gold else 'unsupported'}): {r['claim']}")
    return JudgeScore(
        n=len(rows),
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        accuracy=sum(sum(v) for v in kinds.values()) / len(rows),
        by_kind={k: sum(v) / len(v) for k, v in kinds.items()},
        errors=errors,
    )


def main() -> None:
    s = measure()
    print(
        f"support judge on {s.n} labelled claims: precision {s.precision:.3f}, recall {s.recall:.3f}, "
        f"accuracy {s.accuracy:.3f}"
    )
    for k, v in s.by_kind.items():
        print(f"  {k:12s} judged right: {v:.2f}")
    for e in s.errors:
        print("  wrong:", e)


if __name__ == "__main__":
    main()
