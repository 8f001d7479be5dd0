import json
from pathlib import Path

from eval_helpers import record
from rag.eval import report
from rag.eval.metrics import default_evaluators


def test_build_groups_by_category_and_writes_json_md_png(tmp_path: Path) -> None:
    rs = [
        record(qid="1", retrieved=[("a", "Syrian insurgents")]),
        record(qid="2", refused=True, support=0.2),
        record(qid="3", answerable=False, answers=(), refused=True, support=0.1),
    ]
    for r, cat in zip(rs, ["noise", "noise", "negative"], strict=True):
        r.question = r.question.model_copy(update={"category": cat})
    rep = report.build("rgb", rs, default_evaluators(), command="rag eval --suite rgb")
    assert list(rep.groups) == ["all", "negative", "noise"]
    flat = rep.flat()
    assert flat["accuracy.accuracy"] == 0.5 and flat["refusal.refusal_rate"] == 1.0
    assert rep.flat("noise")["refusal.false_refusal_rate"] == 0.5 and "refusal.false_refusal_rate" not in rep.flat(
        "negative"
    )
    files = report.write(rep, tmp_path / "out", threshold=0.4)
    names = {p.name for p in files}
    assert names == {"report.json", "report.md", "accuracy_by_k.png", "refusal_vs_threshold.png", "latency.png"}
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["questions"][1]["refused"] and data["groups"]["all"][0]["name"] == "retrieval"
    md = (tmp_path / "out" / "report.md").read_text()
    assert "| accuracy.accuracy | 0.500 |  | 0.500 |" in md and "command: `rag eval --suite rgb`" in md
    assert all((tmp_path / "out" / n).stat().st_size > 1000 for n in names if n.endswith(".png"))


def test_refusal_sweep() -> None:
    import numpy as np

    s = np.array([0.1, 0.5, 0.9])
    m = np.array([True, True, False])
    assert report.sweep(s, m, np.array([0.0, 0.3, 0.6])).tolist() == [0.0, 0.5, 1.0]
