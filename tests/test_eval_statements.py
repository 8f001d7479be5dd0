from eval_helpers import cite, record
from rag.answerers import SupportJudge
from rag.eval.statements import judged, statements


def test_markers_close_segments_and_short_answer_rests_on_them() -> None:
    sts = statements("Syrian insurgents. RIA said so. [1] The war lasted long. [2][3] Trailing words.")
    assert [(s.text, s.cites) for s in sts] == [
        ("Syrian insurgents.", (1,)),
        ("RIA said so.", (1,)),
        ("The war lasted long.", (2, 3)),
        ("Trailing words.", ()),
    ]


def test_conflict_notice_is_left_out() -> None:
    note = "Sources disagree: \u201cA\u201d [1] vs. \u201cB\u201d [2]."
    assert [s.text for s in statements(f"Some answer here. [1] {note}", note)] == ["Some answer here."]


def test_judged_uses_the_cited_quotes() -> None:
    r = record()
    assert all(v.supported for _, v in judged(r, SupportJudge()))
    bad = record(
        citations=[
            cite(
                1,
                "b",
                "The storm made landfall near Fort Myers, Florida, on September 28, killing at least 100 people.",
            )
        ],
        text="Syrian insurgents guarded the bases. [1]",
    )
    assert not any(v.supported for _, v in judged(bad, SupportJudge()))
