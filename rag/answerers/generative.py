"""The generative answerer: an LLM writes the answer from numbered sentences, and every sentence
it writes is checked against the sentences it cites before anyone sees it as an answer.

Generated text streams out as the model produces it (shown as a draft); the final `Answer`
keeps only the supported sentences (or, with `keep_unsupported`, marks the others), cites the
exact quoted sentences, and says when something was removed. When the model refuses, or none of
its sentences survives, the extractive answer (or a refusal) is returned and says so."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypedDict

from rag.answerers.base import Answerer
from rag.answerers.conflicts import find_conflict
from rag.answerers.extractive import Candidate, ExtractiveAnswerer, Ranking
from rag.answerers.llm import as_llm_error
from rag.answerers.model_process import ModelProcess, ModelStopped
from rag.answerers.prompt import Prompt, build_prompt
from rag.answerers.support import SupportJudge
from rag.answerers.verify import Claim, Verification, verify
from rag.config import RagConfig
from rag.models import Answer, Citation, Retrieval

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

UNVERIFIED = "(unverified)"  # opens a kept unsupported sentence (keep_unsupported=True)


class Made(TypedDict):
    """What the model made, kept in the `Answer` whoever answers in the end."""

    generated: str
    generated_sentences: int
    removed: list[str]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class GenerativeAnswerer:
    """Answer with `llm` (any llama-index LLM, or a `ModelProcess` serving one), verified
    sentence by sentence. With a `ModelProcess`, a model that dies, hangs or never starts costs
    the question its generated text only: it gets the quoted answer and the reason."""

    def __init__(
        self,
        llm: LLM | ModelProcess,
        config: RagConfig,
        fallback: Answerer,
        *,
        name: str | None = None,
        judge: SupportJudge | None = None,
    ) -> None:
        self.process = llm if isinstance(llm, ModelProcess) else None
        self._llm = None if isinstance(llm, ModelProcess) else llm
        self.cfg = config
        self.fallback = fallback
        self.name = name or config.backend
        self.judge = judge or SupportJudge(config.support_min_coverage)

    @property
    def llm(self) -> LLM:
        """The model's client (with a `ModelProcess`: of a running child, started if need be)."""
        if self.process is not None:
            return self.process.llm()
        assert self._llm is not None
        return self._llm

    def warm_up(self) -> None:
        """The quoted answer's models (the model process starts on the first question)."""
        warm = getattr(self.fallback, "warm_up", None)
        if warm is not None:
            warm()

    def close(self) -> None:
        if self.process is not None:
            self.process.close()

    def answer(self, retrieval: Retrieval) -> Answer:
        final: Answer | None = None
        for piece in self.stream(retrieval):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None, "stream() ends with the Answer"
        return final

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        prompt = self.prompt(retrieval)
        if not prompt.sentences:  # nothing retrieved: nothing to generate from
            yield from self.fallback.stream(retrieval)
            return
        t0 = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        try:
            llm = self.llm
        except ModelStopped as exc:
            yield self._model_stopped(retrieval, str(exc), "")
            return
        try:
            for chunk in llm.stream_chat(prompt.messages()):
                if chunk.delta:
                    first = first if first is not None else time.perf_counter() - t0
                    parts.append(chunk.delta)
                    yield chunk.delta
        except Exception as exc:
            if self.process is not None:  # the model's process died, hung or failed: this answer only
                yield self._model_stopped(retrieval, self.process.failure(exc), "".join(parts))
                return
            clear = as_llm_error(exc, self.cfg)
            if clear is None:
                raise
            raise clear from exc
        t_gen = time.perf_counter()
        ans = self.finish(retrieval, prompt, "".join(parts))
        timings = {
            "first_token": 1000 * (first if first is not None else t_gen - t0),
            "generate": 1000 * (t_gen - t0),
            "verify": 1000 * (time.perf_counter() - t_gen),
        }
        yield ans.model_copy(update={"timings_ms": {**ans.timings_ms, **timings}})

    def prompt(self, retrieval: Retrieval) -> Prompt:
        return build_prompt(
            retrieval,
            max_sentences=self.cfg.llm_max_sentences,
            context_window=self.cfg.llm_context_window,
            max_tokens=self.cfg.llm_max_tokens,
        )

    # --- after generation --------------------------------------------------------------------
    def finish(self, retrieval: Retrieval, prompt: Prompt, generated: str) -> Answer:
        """The verified answer for the model's text (or the fallback, saying why)."""
        checked = verify(generated, [s.text for s in prompt.sentences], self.judge, retrieval.query)
        removed = [c.text for c in checked.unsupported]
        made = Made(generated=generated, generated_sentences=len(checked.claims), removed=removed)
        # the reader's ranking, once: for the support score, the conflict check and any fallback
        ranked = self.fallback.rank(retrieval) if isinstance(self.fallback, ExtractiveAnswerer) else None
        if checked.refused or not checked.claims:
            return self._fall_back(retrieval, made, refused=True, ranked=ranked)
        if not checked.supported:
            return self._fall_back(retrieval, made, refused=False, ranked=ranked)
        shown = list(checked.claims) if self.cfg.keep_unsupported else checked.supported
        citations, by_prompt_n = self.cite(prompt, shown)
        text = " ".join(self._sentence(c, by_prompt_n) for c in shown)
        conflict, support = self._conflict(ranked, citations)
        notice = self._removal_notice(checked)
        body = " ".join(t for t in (text, conflict, notice) if t)
        return Answer(
            question=retrieval.question,
            answer=body,
            refused=False,
            citations=citations,
            support=support,
            query=retrieval.query,
            conflict=conflict,
            backend=self.name,
            notice=notice,
            **made,
        )

    def cite(self, prompt: Prompt, claims: list[Claim]) -> tuple[list[Citation], dict[int, int]]:
        """Citations numbered 1..k in order of first use; prompt number -> citation number."""
        order = list(dict.fromkeys(n for c in claims for n in c.cites))
        citations = []
        for k, n in enumerate(order, 1):
            s = prompt.sentences[n - 1]
            citations.append(Citation.quoting(k, s.passage.article, s.start, s.end, s.passage.score))
        return citations, {n: k for k, n in enumerate(order, 1)}

    @staticmethod
    def _sentence(claim: Claim, by_prompt_n: dict[int, int]) -> str:
        text = claim.text if claim.text[-1] in ".!?\u201d\"')" else claim.text + "."
        if not claim.supported:
            text = f"{UNVERIFIED} {text}"
        markers = "".join(f"[{by_prompt_n[n]}]" for n in claim.cites)
        return f"{text} {markers}" if markers else text

    def _removal_notice(self, checked: Verification) -> str | None:
        bad = checked.unsupported
        if not bad:
            return None
        if self.cfg.keep_unsupported:
            return (
                f"({_plural(len(bad), 'sentence is', 'sentences are')} marked {UNVERIFIED}: "
                "the sentences cited do not support them.)"
            )
        return (
            f"({_plural(len(bad), 'generated sentence was', 'generated sentences were')} removed: "
            "the sentences cited do not support them.)"
        )

    def _conflict(self, ranked: list[Candidate] | None, citations: list[Citation]) -> tuple[str | None, float]:
        """The extractive answerer's check for sources that disagree (both sides get cited),
        and its support score of the best sentence (what `Answer.support` means everywhere)."""
        if ranked is None:
            return None, 0.0
        support = max((c.score for c in ranked), default=0.0)
        found = find_conflict(ranked, self.cfg)
        if found is None:
            return None, support
        have = {(c.article_id, c.start) for c in citations}
        for side in (found.a, found.b):
            if (side.article.id, side.start) not in have:
                citations.append(Citation.quoting(len(citations) + 1, side.article, side.start, side.end, side.score))
                have.add((side.article.id, side.start))
        return found.notice(citations), support

    def _model_stopped(self, retrieval: Retrieval, reason: str, generated: str) -> Answer:
        """The quoted answer, for a question the model could not answer, saying why."""
        ans = self.fallback.answer(retrieval)
        notice = f"({reason[0].upper()}{reason[1:]}" + ("." if ans.refused else "; this is the quoted answer.") + ")"
        return ans.model_copy(
            update={"answer": f"{ans.answer} {notice}", "notice": notice, "generated": generated, "removed": []}
        )

    def _fall_back(self, retrieval: Retrieval, made: Made, *, refused: bool, ranked: Ranking | None = None) -> Answer:
        if ranked is not None and isinstance(self.fallback, ExtractiveAnswerer):
            ans = self.fallback.answer(retrieval, ranked)
        else:
            ans = self.fallback.answer(retrieval)
        model = f"The {self.name} model"
        if refused:
            why = f"{model} found no answer in the sources" + ("" if ans.refused else ", so this is the quoted one")
        else:
            why = f"{model}\u2019s answer was not shown: the sentences it cites do not support it" + (
                "" if ans.refused else "; this is the quoted answer instead"
            )
        notice = f"({why}.)"
        return ans.model_copy(update={"answer": f"{ans.answer} {notice}", "notice": notice, **made})
