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
  lengths  accuracy against answer length for the runner-up rules (`RULES`), each year ranked by a
           reader fitted without it: how `RagConfig.second_sentence_ratio` was chosen.

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
from rag.answerers.spans import SPAN_FEATURES, SPAN_MODEL_PATH, candidate_spans, group_spans, span_features
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
                )
            )
    return out


def fit(data: Path, model_out: Path, report_out: Path | None) -> str:
    names = sorted(p.stem for p in data.glob("*.npz"))
    qs = _questions(names, data)
    for fold in sorted({q.fold for q in qs}):
        train = [q for q in qs if q.fold != fold]
        ranker = fit_model(np.concatenate([q.x for q in train]), np.concatenate([q.y for q in train]), SPAN_FEATURES)
        for q in qs:
            if q.fold == fold and len(q.x):
                p = ranker.proba(q.x)
                q.confidence, q.best = float(p.max()), q.spans[int(p.argmax())]
                q.best_proof = q.proofs[int(p.argmax())]
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
    text += "\n## The model\n\n| feature | weight (standardised) |\n|---|---|\n" + "\n".join(
        f"| {n} | {c:+.3f} |"
        for n, c in sorted(zip(SPAN_FEATURES, final.coef, strict=True), key=lambda nc: -abs(nc[1]))
    )
    if report_out:
        report_out.write_text(text + "\n")
    return text + f"\n\nthreshold {threshold}\n"


# (most sentences, runner-up ratio, runners-up only from another article): the answerer's rule
# (RagConfig.max_answer_sentences / second_sentence_ratio) and the ones it was chosen against
RULES = ((1, 1.01, False), (2, 0.25, False), (3, 0.25, False), (2, 0.5, False), (2, 0.75, False),
         (2, 0.5, True), (2, 0.75, True), (3, 0.5, True))  # fmt: skip


def lengths(data: Path, report_out: Path | None) -> str:
    """Accuracy (the gold answer in a quoted sentence) and median words of the quoted sentences,
    per runner-up rule and year, each year ranked by a reader fitted without it. Refusals aside:
    every answerable question is answered, so the rules compare at their own length."""
    from rag.answerers.extractive import _same

    cfg = RagConfig()
    names = sorted(p.stem for p in data.glob("*.npz"))
    rows: dict[tuple[int, float, bool], list[str]] = {r: [] for r in RULES}
    for y in names:
        t = Table.load(data / f"{y}.npz")
        probs = fit_reader(names, data, without=y).proba(t.x)
        with gzip.open(data / f"{y}.json.gz", "rt") as f:
            texts = {r["q"]: r for r in json.load(f)}
        first = np.searchsorted(t.q, np.arange(len(t.q_id)))
        last = np.searchsorted(t.q, np.arange(len(t.q_id)), side="right")
        pools = []
        for qi, rec in texts.items():
            if not rec["answers"] or first[qi] == last[qi]:
                continue
            p, hit = probs[first[qi] : last[qi]], t.y[first[qi] : last[qi]]
            order = np.argsort(-p, kind="stable")
            pools.append([(rec["sentences"][i], rec["articles"][i], p[i], bool(hit[i])) for i in order])
        for most, ratio, other in RULES:
            right, words = [], []
            for pool_ in pools:  # as ExtractiveAnswerer.choose picks, by article id (no stories here)
                chosen = [pool_[0]]
                for c in pool_[1:]:
                    if len(chosen) >= most:
                        break
                    if (
                        c[2] >= ratio * pool_[0][2]
                        and not (other and any(c[1] == o[1] for o in chosen))
                        and not any(_same(c[0], o[0], cfg.duplicate_overlap) for o in chosen)
                    ):
                        chosen.append(c)
                right.append(any(c[3] for c in chosen))
                words.append(sum(len(c[0].split()) for c in chosen))
            rows[(most, ratio, other)].append(f"{np.mean(right):.3f} / {np.median(words):.0f}")
    shipped = (cfg.max_answer_sentences, cfg.second_sentence_ratio, False)
    lines = [
        "| at most | runner-up ratio | only from another article | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ] + [
        f"| {m} | {'never' if r > 1 else r} | {'yes' if o else 'no'}{' (shipped)' if (m, r, o) == shipped else ''} | "
        + " | ".join(rows[(m, r, o)])
        + " |"
        for m, r, o in RULES
    ]
    text = (
        "# Accuracy against answer length (held out by year)\n\n"
        f"`python -m rag.eval.train_spans lengths --data {data}`. Each year's sentences ranked by a reader "
        "fitted without that year; every answerable question answered (refusals aside). Cells: accuracy "
        "(the gold answer in a quoted sentence) / median words quoted. More sentences always score higher "
        "on this metric, so rules are compared at their length.\n\n" + "\n".join(lines) + "\n"
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
