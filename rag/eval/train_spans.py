"""Fit the span ranker (`rag/answerers/span_model.json`) and refit the sentence reader across years.

Three steps:
  collect  one year's questions through retrieval on that year's store: the reader's feature rows
           (as `rag.eval.train_reader` collects them) and each question's candidate sentences with
           their articles, to `DIR/<name>.npz` and `DIR/<name>.json.gz` (keep DIR out of the
           repository; one run per year).
  fit      cross-year: for every year in turn, the reader is fitted on the other years (plus the
           shipped RGB rows), its held-out probabilities rank that year's sentences, and the span
           ranker, fitted on the other years' spans, picks the short answer. Every figure printed is
           of a year no model saw. The shipped span model is then fitted on every year.
  lengths  accuracy against answer length for the runner-up rules (`RULES`), each year's answers
           replayed as the answerer gives them (the short answer's sentence first) by a reader and a
           span ranker fitted without it: how `RagConfig.second_sentence_ratio` was chosen.

    python -m rag.eval.train_spans collect --store /work/stores/news-2023 \\
        --questions ../shared/data/news-2023/questions.jsonl --name news-2023 --out /work/spans
    python -m rag.eval.train_spans fit --data /work/spans
    python -m rag.eval.train_spans lengths --data /work/spans   # accuracy against answer length
"""

from __future__ import annotations

import argparse
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.answerers.logistic import LogisticModel
from rag.answerers.spans import (
    SPAN_FEATURES,
    SPAN_MODEL_PATH,
    candidate_spans,
    group_spans,
    missing_kind,
    span_features,
)
from rag.config import RagConfig
from rag.embed.embedder import get_embedder
from rag.engine import Engine

from . import datasets
from .metrics.short_answer import f1
from .normalize import exact_match
from .train_reader import DATA_PATH, Table, _json, collect_questions, fit_model, fold_of

TOP = RagConfig().short_answer_pool  # candidate sentences per question, as the answerer reads them
# Shown only at this held-out precision or better: a wrong short answer in bold misleads more than none.
MIN_PRECISION = 0.75


def collect(store: Path, questions: Path, name: str, out: Path) -> None:
    cfg = RagConfig()
    acc: dict[str, list] = {k: [] for k in Table.__dataclass_fields__}
    texts: list[dict] = []
    qs = datasets.news_questions(questions)
    with Engine(
        store=store, config=cfg, embedder=get_embedder(cfg.embed_backend, cfg.device, cache=cfg.model_cache)
    ) as eng:
        collect_questions(eng, qs, name, {q.id: f"{name}-{q.as_of}" for q in qs}, acc, texts)
    for rec, q in zip(texts, (qs[r["q"]] for r in texts), strict=True):
        rec["answers"] = q.answers
    table = Table(
        x=np.concatenate(acc["x"]).astype(np.float32),
        q=np.array(acc["q"], dtype=np.int32),
        **{k: np.array(acc[k], dtype=bool) for k in ("y", "short_has", "short_ok", "q_answerable", "q_retrieved")},
        short_key=np.array(acc["short_key"], dtype=np.int64),
        short_spans=np.array(acc["short_spans"], dtype=np.int32),
        **{k: np.array(acc[k], dtype=str) for k in ("q_id", "q_set", "q_group")},
    )
    out.mkdir(parents=True, exist_ok=True)
    table.save(out / f"{name}.npz")
    with gzip.open(out / f"{name}.json.gz", "wt") as f:
        json.dump(texts, f)
    print(f"{name}: {len(table.y)} sentences of {len(table.q_id)} questions")


def span_table(
    t: Table, texts: list[dict], probs: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], list[list[str]], list[list[str]], list[list[int]]]:
    """Per question: span feature rows, exact-match labels, span texts, gold answers, and the
    sentence (rank among them) each span is proved by; from its `TOP` sentences by `probs` (a
    question's rows are contiguous, in the order of its texts)."""
    by_q = {r["q"]: r for r in texts}
    n = len(t.q_id)
    first = np.searchsorted(t.q, np.arange(n))
    last = np.searchsorted(t.q, np.arange(n), side="right")
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    cands: list[list[str]] = []
    golds: list[list[str]] = []
    proofs: list[list[int]] = []
    for qi in range(n):
        rec = by_q.get(qi)
        local = np.argsort(-probs[first[qi] : last[qi]], kind="stable")[:TOP]
        if rec is None or not len(local):
            xs.append(np.zeros((0, len(SPAN_FEATURES))))
            ys.append(np.zeros(0, bool))
            cands.append([])
            golds.append(rec["answers"] if rec else [])
            proofs.append([])
            continue
        sents = [rec["sentences"][i] for i in local]
        arts = [rec["articles"][i] for i in local]
        groups = group_spans(candidate_spans(rec["question"], sents))
        xs.append(span_features(rec["question"], sents, list(probs[first[qi] + local]), arts, groups))
        ys.append(np.array([exact_match(g.text, rec["answers"]) for g in groups], dtype=bool))
        cands.append([g.text for g in groups])
        golds.append(rec["answers"])
        proofs.append([min(sp.sentence for sp in g.spans) for g in groups])
    return xs, ys, cands, golds, proofs


@dataclass
class Question:
    """One answerable question's candidate spans: feature rows, exact-match labels, texts."""

    year: str
    fold: str  # held out together: the year when there are several, else a week fold
    x: np.ndarray
    y: np.ndarray
    spans: list[str]
    answers: list[str]
    top1: bool  # the reader's best sentence holds the answer
    top3: bool
    top1_2022: bool  # ... by the reader fitted on 2022 and RGB alone (the shipped one before)
    retrieved: bool = False  # the answer is in the retrieved passages
    in_pool: bool = False  # ... in one of the sentences the reader scores
    hits: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # the reader's TOP sentences hold it
    proofs: list[int] = field(default_factory=list)  # each span's sentence, an index into `hits`
    confidence: float = 0.0  # the held-out ranker's, for its best span
    best: str = ""
    best_proof: int = 0
    question: str = ""
    # the reader's TOP sentences, best first: their texts, articles and probabilities
    sentences: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)


def fit_reader(names: list[str], data: Path, without: str | None = None) -> LogisticModel:
    """The sentence reader fitted on the shipped RGB rows and the years `names` collected in
    `data`, less the year `without` (the shipped 2022 news rows only when `data` has no 2022
    table: never twice, and never when 2022 is the year held out)."""
    base = Table.load(DATA_PATH)  # the shipped rows: 2022 news, RGB, seeds
    rows = np.char.startswith(base.q_set[base.q], "rgb-")
    years = [Table.load(data / f"{n}.npz") for n in names if n != without]
    if "news-2022" not in names and without != "news-2022":
        rows |= base.q_set[base.q] == "news"
    return fit_model(
        np.concatenate([base.x[rows]] + [t.x for t in years]), np.concatenate([base.y[rows]] + [t.y for t in years])
    )


def _questions(names: list[str], data: Path) -> list[Question]:
    reader_2022 = fit_reader([], data)  # 2022 + RGB, as shipped before (in sample on 2022)
    out = []
    for y in names:
        reader = fit_reader(names, data, without=y)  # it never saw this year
        t = Table.load(data / f"{y}.npz")
        probs = reader.proba(t.x)
        order_2022 = np.lexsort((-reader_2022.proba(t.x), t.q))
        with gzip.open(data / f"{y}.json.gz", "rt") as f:
            texts = json.load(f)
        xs, ys, cands, golds, proofs = span_table(t, texts, probs)
        by_q = {r["q"]: r for r in texts}
        first = np.searchsorted(t.q, np.arange(len(t.q_id)))
        folds = fold_of(t.q_group)
        order = np.lexsort((-probs, t.q))
        for qi in range(len(t.q_id)):
            if not golds[qi]:
                continue
            r = order[t.q[order] == qi]
            r_2022 = order_2022[t.q[order_2022] == qi]
            fold = y if len(names) > 1 else f"{y}-fold{folds[qi]}"
            out.append(
                Question(
                    y,
                    fold,
                    xs[qi],
                    ys[qi],
                    cands[qi],
                    golds[qi],
                    bool(t.y[r[:1]].any()),
                    bool(t.y[r[:3]].any()),
                    bool(t.y[r_2022[:1]].any()),
                    bool(t.q_retrieved[qi]),
                    bool(t.y[r].any()),
                    t.y[r[:TOP]],
                    proofs[qi],
                    question=by_q[qi]["question"],
                    sentences=[by_q[qi]["sentences"][i - first[qi]] for i in r[:TOP]],
                    articles=[by_q[qi]["articles"][i - first[qi]] for i in r[:TOP]],
                    probs=[float(probs[i]) for i in r[:TOP]],
                )
            )
    return out


def _rank_spans(qs: list[Question]) -> None:
    """Each question's best span and its confidence, by a span ranker fitted on the other folds."""
    for fold in sorted({q.fold for q in qs}):
        train = [q for q in qs if q.fold != fold]
        ranker = fit_model(np.concatenate([q.x for q in train]), np.concatenate([q.y for q in train]), SPAN_FEATURES)
        for q in qs:
            if q.fold == fold and len(q.x):
                p = ranker.proba(q.x)
                q.confidence, q.best = float(p.max()), q.spans[int(p.argmax())]
                q.best_proof = q.proofs[int(p.argmax())]


def fit(data: Path, model_out: Path, report_out: Path | None) -> str:
    names = sorted(p.stem for p in data.glob("*.npz"))
    qs = _questions(names, data)
    _rank_spans(qs)
    # one gate for every year: the lowest whose pooled held-out precision reaches MIN_PRECISION
    threshold = next(
        (
            float(round(c, 2))
            for c in np.arange(0.05, 0.95, 0.01)
            if len(ok := [exact_match(q.best, q.answers) for q in qs if q.best and q.confidence >= c]) >= 20
            and np.mean(ok) >= MIN_PRECISION
        ),
        1.0,
    )
    lines = [
        "| year | answerable q. | answer retrieved | in a scored sentence | top-1 sentence (2022 reader) | top-3 | "
        "gold among spans | EM | F1 | coverage | precision | EM, always answering |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for y in names:
        yq = [q for q in qs if q.year == y]
        shown = [q for q in yq if q.best and q.confidence >= threshold]
        em = sum(exact_match(q.best, q.answers) for q in shown)
        f = sum(max(f1(q.best, a) for a in q.answers) for q in shown)
        lines.append(
            f"| {y} | {len(yq)} | {np.mean([q.retrieved for q in yq]):.3f} | {np.mean([q.in_pool for q in yq]):.3f} | "
            f"{np.mean([q.top1 for q in yq]):.3f} ({np.mean([q.top1_2022 for q in yq]):.3f}) | "
            f"{np.mean([q.top3 for q in yq]):.3f} | "
            f"{np.mean([bool(q.y.any()) for q in yq]):.3f} | {em / len(yq):.3f} | {f / len(yq):.3f} | "
            f"{len(shown) / len(yq):.3f} | {em / max(1, len(shown)):.3f} | "
            f"{np.mean([exact_match(q.best, q.answers) for q in yq]):.3f} |"
        )
    curve = ["| gate | coverage | EM | precision |", "|---|---|---|---|"]
    for c in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, threshold):
        shown = [q for q in qs if q.best and q.confidence >= c]
        em = sum(exact_match(q.best, q.answers) for q in shown)
        curve.append(f"| {c:.2f} | {len(shown) / len(qs):.3f} | {em / len(qs):.3f} | {em / max(1, len(shown)):.3f} |")
    # answer first (RagConfig.proof_first_conf): the best span's sentence leads once the ranker is this sure
    lead = ["| the span's sentence first from | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for c in (1.01, 0.6, 0.4, 0.2, 0.1, 0.0):
        cells = []
        for y in names:
            yq = [q for q in qs if q.year == y and len(q.hits)]
            cells.append(f"{np.mean([q.hits[q.best_proof if q.best and q.confidence >= c else 0] for q in yq]):.3f}")
        lead.append(f"| {'never (the reader alone)' if c > 1 else c} | " + " | ".join(cells) + " |")
    # RagConfig.refuse_missing_kind: what refusing for want of the asked-for kind costs answerable questions
    missing = ["| year | refused: none of the asked kind in the best 8 | of them, right in the top 2 |"]
    missing.append("|---|---|---|")
    for y in names:
        yq = [q for q in qs if q.year == y]
        gone = [q for q in yq if q.sentences and missing_kind(q.question, candidate_spans(q.question, q.sentences))]
        missing.append(f"| {y} | {len(gone)} of {len(yq)} | {sum(bool(q.hits[:2].any()) for q in gone)} |")
    final = fit_model(np.concatenate([q.x for q in qs]), np.concatenate([q.y for q in qs]), SPAN_FEATURES)
    model_out.write_text(_json(final))
    held = "the other years" if len(names) > 1 else "the other week folds of the year"
    text = (
        f"# The span ranker (held-out figures)\n\n`python -m rag.eval.train_spans fit --data {data}`. Each "
        f"year's sentences are ranked by a reader fitted without that year (on RGB and the other "
        f"years), its spans by a ranker fitted on {held}. A short answer is shown at confidence >= "
        f"{threshold}, the lowest gate whose pooled held-out precision is >= {MIN_PRECISION}; EM and F1 "
        f"are over all answerable questions (no short answer counts as wrong).\n\n" + "\n".join(lines) + "\n"
        "\n## Coverage against precision (every year pooled)\n\nGate 0.00 is the field's setting (always "
        "answer, as RealTime QA scores); the page shows only answers above the gate.\n\n" + "\n".join(curve) + "\n"
    )
    text += (
        "\n## Top-1 sentence with the short answer's sentence first (held out)\n\nThe reader's best sentence, "
        "unless the span ranker (fitted without the year) is at least this sure of a phrase: then the "
        "sentence that holds it (`RagConfig.proof_first_conf`).\n\n" + "\n".join(lead) + "\n"
    )
    text += (
        "\n## Refused for want of a date or number (`RagConfig.refuse_missing_kind`)\n\nAnswerable questions "
        "that ask for a date or a number where none of the reader's best 8 sentences holds one "
        "(`rag.answerers.spans.missing_kind`): what the rule costs.\n\n" + "\n".join(missing) + "\n"
    )
    text += "\n## The model\n\n| feature | weight (standardised) |\n|---|---|\n" + "\n".join(
        f"| {n} | {c:+.3f} |"
        for n, c in sorted(zip(SPAN_FEATURES, final.coef, strict=True), key=lambda nc: -abs(nc[1]))
    )
    if report_out:
        report_out.write_text(text + "\n")
    return text + f"\n\nthreshold {threshold}\n"


# (most sentences, runner-up ratio): the answerer's rule (RagConfig.max_answer_sentences /
# second_sentence_ratio) and the ones it was chosen against
RULES = ((1, 1.01), (2, 0.5), (2, 0.7), (2, 0.75), (2, 0.8), (2, 0.85), (2, 0.9), (2, 0.95), (3, 0.25))
# The longest median answer a rule may read to on the years it is chosen on: the length of one
# sentence and a half (a news sentence is ~30 words), the most a reader takes in at a glance.
MAX_WORDS = 45


def quoted(q: Question, most: int, ratio: float, cfg: RagConfig, answer_first: bool = True) -> tuple[bool, int]:
    """Whether the answer holds the gold answer, and its words (the short answer's, when shown, and
    the quoted sentences'), replayed as `ExtractiveAnswerer` answers: the span's sentence first,
    then its proof when the short answer is shown, else runners-up at `ratio` of the reader's best
    (near-duplicates aside). Refusals aside: every answerable question is answered."""
    from rag.answerers.extractive import _same

    shown = bool(q.best) and q.confidence >= cfg.short_answer_min_conf
    lead = q.best_proof if shown or (answer_first and q.best and q.confidence >= cfg.proof_first_conf) else 0
    order = [lead] + [i for i in range(len(q.sentences)) if i != lead]
    chosen = [lead]
    for i in order[1:]:
        if len(chosen) >= (2 if shown else most):
            break
        new = not any(_same(q.sentences[i], q.sentences[c], cfg.duplicate_overlap) for c in chosen)
        if shown:  # ExtractiveAnswerer.proof: one more only from another article giving the phrase
            ok = q.articles[i] != q.articles[lead] and q.best.lower() in q.sentences[i].lower()
        else:
            ok = q.probs[i] >= ratio * q.probs[0]
        if ok and new:
            chosen.append(i)
    # as the eval counts them (`ShortAnswerEvaluator`): the answer's words, each quote's "[n]" one more
    words = sum(len(q.sentences[i].split()) + 1 for i in chosen) + (len(q.best.split()) if shown else 0)
    return any(bool(q.hits[i]) for i in chosen), words


def lengths(data: Path, report_out: Path | None) -> str:
    """Accuracy (the gold answer in the answer) and median words, per runner-up rule and year,
    each year answered by a reader and a span ranker fitted without it; then, per year, the rule
    the other two years choose (the most accurate whose median is at most `MAX_WORDS` on both)."""
    cfg = RagConfig()
    names = sorted(p.stem for p in data.glob("*.npz"))
    qs = [q for q in _questions(names, data) if q.sentences]
    _rank_spans(qs)
    score: dict[tuple[int, float, bool], dict[str, tuple[float, float]]] = {}
    for most, ratio, first in [(m, r, True) for m, r in RULES] + [(2, 0.75, False)]:
        for y in names:
            out = [quoted(q, most, ratio, cfg, first) for q in qs if q.year == y]
            score.setdefault((most, ratio, first), {})[y] = (
                float(np.mean([o[0] for o in out])),
                float(np.median([o[1] for o in out])),
            )
    shipped = (cfg.max_answer_sentences, cfg.second_sentence_ratio, True)
    lines = [
        "| at most | runner-up ratio | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ] + [
        f"| {m} | {'never' if r > 1 else r}{' (shipped)' if (m, r, f) == shipped else ''}"
        f"{'' if f else ', reader order (before answer first)'} | "
        + " | ".join(f"{a:.3f} / {w:.0f}" for a, w in (row[y] for y in names))
        + " |"
        for (m, r, f), row in score.items()
    ]
    chosen = ["| held-out year | rule chosen on the other two | accuracy / median words |", "|---|---|---|"]
    for y in names:
        others = [o for o in names if o != y] or [y]  # one year alone: chosen in sample
        fits = [k for k in score if k[2] and all(score[k][o][1] <= MAX_WORDS for o in others)]
        m, r, _ = max(fits, key=lambda k: np.mean([score[k][o][0] for o in others]))
        chosen.append(f"| {y} | at most {m}, ratio {'never' if r > 1 else r} | {score[(m, r, True)][y][0]:.3f} / "
                      f"{score[(m, r, True)][y][1]:.0f} |")  # fmt: skip
    text = (
        "# Accuracy against answer length (held out by year)\n\n"
        f"`python -m rag.eval.train_spans lengths --data {data}`. Each year answered as the answerer "
        "answers (the short answer's sentence first, its proof when shown) by a reader and a span ranker "
        "fitted without that year; every answerable question answered (refusals aside). Cells: accuracy "
        "(the gold answer in a quoted sentence) / median words (short answer, quotes and their [n] "
        "markers, as `rag eval` counts them). More sentences "
        "always score higher on this metric, so rules are compared at their length.\n\n"
        + "\n".join(lines)
        + f"\n\n## The rule each year gets, chosen on the other two\n\nThe most accurate rule whose median "
        f"answer is at most {MAX_WORDS} words on both other years.\n\n" + "\n".join(chosen) + "\n"
    )
    if report_out:
        report_out.write_text(text)
    return text


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.eval.train_spans", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    c = sub.add_parser("collect", help="one year's feature rows and candidate sentences")
    c.add_argument("--store", type=Path, required=True)
    c.add_argument("--questions", type=Path, required=True)
    c.add_argument("--name", required=True, help="e.g. news-2023")
    c.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("fit", help="cross-year figures; write the span model")
    f.add_argument("--data", type=Path, required=True)
    f.add_argument("--model", type=Path, default=SPAN_MODEL_PATH)
    f.add_argument("--report", type=Path, default=Path("rag/eval/results/spans.md"))
    g = sub.add_parser("lengths", help="accuracy against answer length, per runner-up rule")
    g.add_argument("--data", type=Path, required=True)
    g.add_argument("--report", type=Path, default=Path("rag/eval/results/answer-length.md"))
    args = ap.parse_args(argv)
    if args.step == "collect":
        collect(args.store, args.questions, args.name, args.out)
    elif args.step == "lengths":
        print(lengths(args.data, args.report))
    else:
        print(fit(args.data, args.model, args.report))


if __name__ == "__main__":
    main()
