"""Fit the sentence reader (`rag/answerers/reader_model.json`) and its refusal threshold on labelled data.

Two steps:
  collect  run every public question through retrieval and write one feature row per candidate
           sentence, labelled "holds the gold answer" (the accuracy metric's test), to
           `rag/eval/reader_data.npz`: news (the 294 scored questions over a store of the whole
           corpus), RGB (noise, negative-only and counterfactual passages) and the seed set.
  fit      logistic regression on news + RGB. Cross-validated by group: a news week (its
           questions share articles, so a random split would leak) or a slice of RGB queries;
           every figure reported is of rows predicted by a model that never saw their group.
           The seed set is never trained on. It then chooses the refusal thresholds on held-out
           probabilities. (The short answer's span ranker: `python -m rag.eval.train_spans`.)

    python -m rag.eval.train_reader collect --news-store DIR
    python -m rag.eval.train_reader fit   # from the shipped reader_data.npz and reader_years/
"""

from __future__ import annotations

import argparse
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answerers.logistic import LogisticModel
from rag.answerers.reader import FEATURES, MODEL_PATH, SentenceVectors, features, pool, similarities
from rag.answerers.short_answer import extract, new_spans
from rag.config import RagConfig
from rag.embed.embedder import Embedder, get_embedder
from rag.engine import Engine
from rag.models import Article
from rag.text.loaders import load_paths

from . import datasets
from .normalize import contains_answer, normalize
from .records import EvalQuestion

DATA_PATH = Path(__file__).with_name("reader_data.npz")
# The other benchmark years' rows (`python -m rag.eval.train_spans collect`, features only: ~0.8 MB
# a year), shipped so that `fit` reproduces the shipped model without a store of each year.
YEARS_DIR = Path(__file__).with_name("reader_years")
RGB_TRAIN_CONDITIONS = ("noise", "negative", "counterfactual")
FOLDS = 6
C = 1.0  # inverse L2 strength; 0.1..10 changed held-out top-1 by under a point


@dataclass
class Table:
    """Feature rows of candidate sentences, and per-question facts (index q)."""

    x: np.ndarray  # (rows, features) float32
    y: np.ndarray  # (rows,) bool: the sentence holds the gold answer
    q: np.ndarray  # (rows,) question index
    short_has: np.ndarray  # (rows,) the sentence gives a short answer phrase
    short_ok: np.ndarray  # (rows,) ... and it is a gold answer (exact match, normalised)
    short_key: np.ndarray  # (rows,) crc32 of the lower-cased phrase (0: none): which phrases agree
    short_spans: np.ndarray  # (rows,) how many phrases of the asked kind, new to the question, it holds
    q_id: np.ndarray
    q_set: np.ndarray  # "news", "rgb-<condition>" or "seeds"
    q_group: np.ndarray  # cross-validation group: the news week, the RGB query slice, "seeds"
    q_answerable: np.ndarray
    q_retrieved: np.ndarray  # the gold answer is in the retrieved passages

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **dict(self.__dict__.items()))

    @classmethod
    def load(cls, path: Path) -> Table:
        with np.load(path, allow_pickle=False) as z:
            return cls(**{k: z[k] for k in z.files})

    @classmethod
    def concat(cls, tables: list[Table]) -> Table:
        """One table of several (per-row question indices shifted past the earlier tables' questions)."""
        offsets = np.cumsum([0] + [len(t.q_id) for t in tables[:-1]])
        shifted = {"q": [t.q + o for t, o in zip(tables, offsets, strict=True)]}
        return cls(
            **{k: np.concatenate(shifted.get(k) or [getattr(t, k) for t in tables]) for k in cls.__dataclass_fields__}
        )


def collect_questions(
    eng: Engine,
    qs: Iterable[EvalQuestion],
    set_name: str,
    group_of: dict[str, str],
    acc: dict[str, list],
    texts: list[dict] | None = None,
) -> None:
    for q in qs:
        r = eng.retrieve(q.question, as_of=q.as_of, filters=q.filters)
        sentences = pool(r.passages)
        qi = len(acc["q_id"])
        acc["q_id"].append(q.id)
        acc["q_set"].append(set_name)
        acc["q_group"].append(group_of[q.id])
        acc["q_answerable"].append(q.answerable)
        acc["q_retrieved"].append(any(contains_answer(p.text, q.answers) for p in r.passages) if q.answers else False)
        if not sentences:
            continue
        dense, focus_dense = similarities(
            SentenceVectors(eng.embedder.embed), r.query, r.query_vector, sentences, r.sentence_vectors
        )
        acc["x"].append(
            features(r.query, sentences, dense, r.idf, q.as_of.toordinal() if q.as_of else None, focus_dense)
        )
        acc["y"] += [bool(q.answers) and contains_answer(s.text, q.answers) for s in sentences]
        acc["q"] += [qi] * len(sentences)
        shorts = [extract(q.question, s.text) for s in sentences]
        acc["short_has"] += [a is not None for a in shorts]
        acc["short_ok"] += [a is not None and normalize(a) in {normalize(g) for g in q.answers} for a in shorts]
        acc["short_key"] += [zlib.crc32(a.lower().encode()) if a else 0 for a in shorts]
        acc["short_spans"] += [len(new_spans(q.question, s.text)) for s in sentences]
        if texts is not None:
            texts.append(
                {
                    "q": qi,
                    "question": r.query,
                    "sentences": [s.text for s in sentences],
                    "articles": [s.passage.article.id for s in sentences],
                }
            )


def collect(news_store: Path, out: Path, rgb_limit: int | None = None, texts: list[dict] | None = None) -> Table:
    cfg = RagConfig()
    embedder: Embedder = get_embedder(cfg.embed_backend, cfg.device, cfg.embed_batch_size, cfg.model_cache)
    acc: dict[str, list] = {k: [] for k in Table.__dataclass_fields__}
    news = datasets.news_questions()
    with Engine(store=news_store, config=cfg, embedder=embedder) as eng:
        collect_questions(eng, news, "news", {q.id: f"news-{q.as_of}" for q in news}, acc, texts)
    with tempfile.TemporaryDirectory() as tmp:
        for item in datasets.rgb_items(limit=rgb_limit):
            with Engine(store=Path(tmp) / f"q{item['id']}", config=cfg, embedder=embedder) as eng:
                eng.ingest_articles(datasets.rgb_articles(item), progress=False)
                for q in datasets.rgb_questions(item):
                    if q.category in RGB_TRAIN_CONDITIONS:
                        collect_questions(
                            eng, [q], f"rgb-{q.category}", {q.id: f"rgb-{int(item['id']) % FOLDS}"}, acc, texts
                        )
        loaded = [a for a in load_paths([datasets.SEEDS]) if isinstance(a, Article)]
        seeds = datasets.seed_questions({Path(a.path).name: a.id for a in loaded})
        with Engine(store=Path(tmp) / "seeds", config=cfg, embedder=embedder) as eng:
            eng.ingest_articles(loaded, progress=False)
            collect_questions(eng, seeds, "seeds", {q.id: "seeds" for q in seeds}, acc, texts)
    table = Table(
        x=np.concatenate(acc["x"]).astype(np.float32),
        q=np.array(acc["q"], dtype=np.int32),
        **{k: np.array(acc[k], dtype=bool) for k in ("y", "short_has", "short_ok", "q_answerable", "q_retrieved")},
        short_key=np.array(acc["short_key"], dtype=np.int64),
        short_spans=np.array(acc["short_spans"], dtype=np.int32),
        **{k: np.array(acc[k], dtype=str) for k in ("q_id", "q_set", "q_group")},
    )
    table.save(out)
    return table


def fit_model(x: np.ndarray, y: np.ndarray, names: tuple[str, ...] = FEATURES) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000).fit((x - mean) / scale, y)
    return LogisticModel(
        names,
        mean.astype(np.float64),
        scale.astype(np.float64),
        lr.coef_[0].astype(np.float64),
        float(lr.intercept_[0]),
    )


def fold_of(groups: np.ndarray) -> np.ndarray:
    """Groups dealt round-robin into FOLDS folds (news weeks in date order); seeds: -1."""
    names = sorted(set(groups) - {"seeds"})
    news = [g for g in names if g.startswith("news-")]
    index = {g: i % FOLDS for i, g in enumerate(news)} | {
        g: int(g.split("-")[1]) for g in names if g.startswith("rgb-")
    }
    return np.array([index.get(g, -1) for g in groups])


def _held_out(x: np.ndarray, y: np.ndarray, fold: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Each row's probability from the model fitted without its fold (-1, seeds: every fold's)."""
    out = np.zeros(len(y))
    for f in [*range(FOLDS), -1]:
        train = (fold >= 0) & (fold != f)
        out[fold == f] = fit_model(x[train], y[train], names).proba(x[fold == f])
    return out


def held_out_probs(t: Table) -> np.ndarray:
    """Each row's probability from the model fitted without its fold (seeds: the full model)."""
    return _held_out(t.x, t.y, fold_of(t.q_group)[t.q], FEATURES)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.eval.train_reader", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    c = sub.add_parser("collect", help="write the feature table (needs a store of the whole news corpus)")
    c.add_argument("--news-store", type=Path, required=True)
    c.add_argument("--rgb-limit", type=int, default=None)
    c.add_argument("--data", type=Path, default=DATA_PATH)
    c.add_argument(
        "--texts",
        type=Path,
        default=None,
        help="also write the questions and sentence texts here (JSON; keep it out of the repository)",
    )
    f = sub.add_parser("fit", help="fit, cross-validate and write the model and its report")
    f.add_argument("--data", type=Path, default=DATA_PATH)
    f.add_argument("--model", type=Path, default=MODEL_PATH)
    f.add_argument("--report", type=Path, default=Path("rag/eval/results/reader.md"))
    f.add_argument("--years", type=Path, default=YEARS_DIR, help="folder of news-YYYY.npz tables to fit on as well")
    args = ap.parse_args(argv)
    if args.step == "collect":
        texts: list[dict] | None = [] if args.texts else None
        t = collect(args.news_store, args.data, args.rgb_limit, texts)
        if args.texts:
            import json

            args.texts.write_text(json.dumps(texts))
        print(f"wrote {args.data}: {len(t.y)} sentences of {len(t.q_id)} questions")
        return
    from .reader_report import report  # the figures of the fitted reader

    t = with_years(Table.load(args.data), args.years)
    train = fold_of(t.q_group)[t.q] >= 0
    model = fit_model(t.x[train], t.y[train])
    args.model.write_text(_json(model))
    probs = held_out_probs(t)
    text = report(t, probs, model)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text)
    print(text)
    print(f"wrote {args.model} and {args.report}")


def with_years(base: Table, folder: Path) -> Table:
    """`base` and every year table in `folder` whose questions it doesn't already hold (the 2022
    table there repeats the shipped rows: taken once)."""
    have = set(base.q_id)
    years = [Table.load(p) for p in sorted(folder.glob("news-*.npz"))]
    return Table.concat([base, *(y for y in years if not set(y.q_id) <= have)])


def _json(model: LogisticModel) -> str:
    import json

    return json.dumps(model.to_json(), indent=1) + "\n"


if __name__ == "__main__":
    main()
