from rag.eval.normalize import contains_answer, normalize


def test_normalize_drops_case_punctuation_articles_and_accents() -> None:
    assert normalize("The  Türkiye-backed, fighters!") == "turkiye backed fighters"
    assert normalize("Assad's family") == "assad family"


def test_contains_answer_needs_whole_words_and_takes_any_alias() -> None:
    assert contains_answer("Syrian insurgents had guaranteed it.", ["syrian insurgents"])
    assert contains_answer("They met in Tampa, Florida.", ["Tampa Bay", "Tampa, Florida"])
    assert not contains_answer("Syrians poured into streets", ["Syria"])  # not a whole word
    assert not contains_answer("anything", [])
    assert not contains_answer("anything", [""])


def test_exact_match_is_squad_normalised_and_none_never_matches() -> None:
    from rag.eval.normalize import exact_match

    assert exact_match("The Joe Biden.", ["Joe Biden"]) and exact_match("joe  biden", ["Biden", "Joe Biden"])
    assert not exact_match("President Joe Biden", ["Joe Biden"]) and not exact_match(None, ["Joe Biden"])
