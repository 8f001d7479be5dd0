from conftest import SEED_SENTENCE
from rag.answerers import Evidence as Passage
from rag.answerers import SupportJudge
from rag.answerers.support import anchors

SRC = SEED_SENTENCE
J = SupportJudge()


def test_verbatim_and_paraphrase_are_supported() -> None:
    assert J.judge(SRC, [Passage(SRC)]).mode == "verbatim"
    assert J.judge("Syrian insurgents", [Passage(SRC)]).supported
    v = J.judge("Syrian insurgents guaranteed the security of Russian military bases.", [Passage(SRC)])
    assert v.supported and v.mode == "content"


def test_swapped_entity_number_date_and_negation_are_not() -> None:
    src2 = "Assad fled to Moscow on Sunday, ending five decades of rule; 14 people died."
    for claim in (
        "Kurdish insurgents guaranteed the security of Russian military bases.",
        "RIA said Syrian insurgents had not guaranteed the security of Russian military bases.",
    ):
        assert not J.judge(claim, [Passage(SRC)]).supported, claim
    for claim in (
        "Assad fled to Moscow on Monday.",
        "Assad fled to Moscow, ending four decades of rule.",
        "Assad fled to Moscow; 41 people died.",
    ):
        assert not J.judge(claim, [Passage(src2)]).supported, claim


def test_unverified_citation_supports_nothing() -> None:
    assert not J.judge(SRC, [Passage(SRC, verified=False)]).supported
    p = Passage.from_citation("Syria.", 0, 6, "Syria. More text")
    assert p.verified
    assert not Passage.from_citation("Syria.", 1, 7, "Syria. More text").verified
    assert not Passage.from_citation("Syria.", 0, 6, None).verified


def test_low_coverage_is_unsupported() -> None:
    assert not J.judge("RIA said the weather in Syria was pleasant and sunny throughout.", [Passage(SRC)]).supported


def test_anchors_are_names_numbers_and_dates_not_sentence_openers() -> None:
    a = anchors("The leader visited Damascus on Dec. 8, 2024 with five aides.")
    assert {"damascus", "december", "8", "2024", "5"} <= set(a)
    assert "the" not in a
