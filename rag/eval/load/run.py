"""`rag load`: start `rag serve` replicas on one store, run the locustfile headless at each user
count (optionally while `rag ingest` runs beside it), and write a markdown table of throughput
and latency per case.

The replicas are separate processes on free local ports over the same store folder; locust spreads
its users over them round robin (rag/eval/load/locustfile.py). The ingest, when asked for, never writes
into the served store unless `--ingest-store` names it: by default it goes into a fresh temporary
store, restarted into another one whenever it finishes, so it loads the machine for the whole case.
"""

from __future__ import annotations

import csv
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from rag.eval.datasets import ROOT
from rag.eval.startup import child_env, free_port, stop, wait_ready

from .client import ask_once, default_questions, load_questions

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass
class Case:
    replicas: int
    users: int
    ingest: bool
    requests: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    failures: int = 0
    failures_head: str = ""  # the first lines of locust's failures CSV, when there are any
    ingest_note: str = ""  # how long the ingest ran, for an ingest case

    @property
    def config(self) -> tuple[int, bool]:
        return self.replicas, self.ingest


@contextmanager
def servers(store: Path, replicas: int, logs: Path, env: dict[str, str]) -> Iterator[list[str]]:
    """`replicas` `rag serve` processes over `store`, each answering HTTP 200; stopped on exit
    (also on Ctrl-C or an error)."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    # every simulated user asks from 127.0.0.1: the page's per-address question limit is lifted
    env = {"RAG_PAGE_MAX_QUESTIONS": "1000000", **env}
    try:
        for i in range(replicas):
            port = free_port()
            log = logs / f"serve-{i}.log"
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "rag.cli", "serve", "--store", str(store), "--port", str(port)],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc, i in zip(urls, procs, range(replicas), strict=True):
            wait_ready(url + "/", proc, logs / f"serve-{i}.log")
        yield urls
    finally:
        for proc in procs:
            stop(proc)


class BackgroundIngest:
    """`rag ingest` running beside a case, rerun whenever it ends so that it spans the case. Each
    run writes FILE's articles under new ids (`ID~load-N`), so every run is real work (splitting,
    embedding, writing, a keyword rebuild) even into a store that holds FILE already. Into
    `store` when given (the served store: questions then read a store being written; with
    RAG_CHROMA_URL any folder writes to the shared server); else into fresh temporary stores."""

    def __init__(self, file: Path, store: Path | None, scratch: Path, env: dict[str, str], logs: Path) -> None:
        self.file, self.store, self.scratch, self.env, self.logs = file, store, scratch, env, logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.failed = 0
        self.busy_s = 0.0
        self._started = 0.0

    def _start(self) -> None:
        self.runs += 1
        target = self.store or self.scratch / f"ingest-{self.runs}"
        batch = self.scratch / f"ingest-{self.runs}.jsonl"
        batch.write_text(renamed_articles(self.file, f"~load-{self.runs}-{time.time_ns()}"), encoding="utf-8")
        log = (self.logs / f"ingest-{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", str(batch), "--quiet", "--store", str(target)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._started = time.monotonic()

    def _ended(self, stopped: bool = False) -> None:
        assert self.proc is not None
        self.busy_s += time.monotonic() - self._started
        self.failed += not stopped and self.proc.returncode != 0
        self.proc = None
        (self.scratch / f"ingest-{self.runs}.jsonl").unlink(missing_ok=True)
        if self.store is None:
            shutil.rmtree(self.scratch / f"ingest-{self.runs}", ignore_errors=True)

    def poll(self) -> None:
        if self.proc is None:
            self._start()
        elif self.proc.poll() is not None:
            self._ended()
            self.poll()

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self._ended(stopped=True)  # cut off at the end of the case: not a failure

    def note(self, duration_s: float) -> str:
        where = str(self.store) if self.store else "fresh temporary stores"
        failed = f", {self.failed} failed" if self.failed else ""
        busy = min(self.busy_s, duration_s)
        return f"ingest busy {busy:.0f} of {duration_s:.0f} s ({self.runs} run(s) into {where}{failed})"


def renamed_articles(file: Path, suffix: str) -> str:
    """FILE's articles as jsonl, each id given `suffix` (new articles with the same texts)."""
    from rag import Article, load_paths

    rows = [
        a.model_copy(update={"id": a.id + suffix}).model_dump_json()
        for a in load_paths([file])
        if isinstance(a, Article)
    ]
    return "\n".join(rows) + "\n"


def run_locust(
    case: Case,
    hosts: list[str],
    duration_s: int,
    prefix: Path,
    env: dict[str, str],
    ingest: BackgroundIngest | None = None,
) -> None:
    """One case: locust headless for `duration_s`; fills the case from PREFIX_stats.csv."""
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(case.users),
        "-r",
        str(case.users),
        "-t",
        f"{duration_s}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--host",
        hosts[0],
    ]
    log = prefix.with_suffix(".log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**env, "LOAD_HOSTS": ",".join(hosts)}, stdout=out, stderr=subprocess.STDOUT
        )
    t0 = time.monotonic()
    try:
        while proc.poll() is None:
            if ingest is not None:
                ingest.poll()
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            stop(proc)
        if ingest is not None:
            ingest.close()
            case.ingest_note = ingest.note(time.monotonic() - t0)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no {stats} (exit {proc.returncode}):\n{log.read_text()[-2000:]}")
    parse_stats(case, stats)
    if case.failures:
        lines = Path(f"{prefix}_failures.csv").read_text().splitlines()
        case.failures_head = "\n".join(lines[:6])


def parse_stats(case: Case, stats: Path) -> None:
    """Fill `case` from the row named `ask` of locust's stats CSV. (The CSV is the last of the
    snapshots locust takes every second: it may miss the run's final second of requests; the
    rate and percentiles are of that same snapshot.)"""
    with stats.open(newline="") as f:
        row = next((r for r in csv.DictReader(f) if r["Name"] == "ask"), None)
    if row is None:
        return  # no question finished
    case.requests = int(row["Request Count"])
    case.failures = int(row["Failure Count"])
    case.rps = float(row["Requests/s"])
    case.p50, case.p95, case.p99 = (float(row[k]) for k in ("50%", "95%", "99%"))


def table(cases: list[Case], command: str, duration_s: int, warmed: int = 1) -> str:
    base = {c.config: c.rps for c in cases if c.users == 1}
    lines = [
        "# rag load",
        "",
        f"`{command}`",
        "",
        f"{duration_s} s per case, closed loop unless --wait; one request = one question (one POST to the /ask API); "
        f"each server answered {warmed} warm-up question(s) first.",
        "",
        "| replicas | users | ingest | requests | req/s | p50 ms | p95 ms | p99 ms | errors | × 1 user |",
        "|---:|---:|:--|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        one = base.get(c.config)
        ratio = f"{c.rps / one:.2f}" if one else "n/a"
        lines.append(
            f"| {c.replicas} | {c.users} | {'yes' if c.ingest else 'no'} | {c.requests} | {c.rps:.2f} "
            f"| {c.p50:.0f} | {c.p95:.0f} | {c.p99:.0f} | {c.failures} | {ratio} |"
        )
    ratios = []
    for cfg in dict.fromkeys(c.config for c in cases):
        by_users = {c.users: c.rps for c in cases if c.config == cfg}
        if by_users.get(1) and 8 in by_users:
            ratios.append(
                f"- throughput(8 users) / throughput(1 user), {cfg[0]} replica(s), ingest "
                f"{'yes' if cfg[1] else 'no'}: **{by_users[8] / by_users[1]:.2f}**"
            )
    if ratios:
        lines += ["", *ratios]
    notes = [f"- {c.users} users: {c.ingest_note}" for c in cases if c.ingest_note]
    if notes:
        lines += ["", "Ingest beside the run:", *notes]
    for c in cases:
        if c.failures_head:
            lines += [
                "",
                f"Failures, {c.replicas} replica(s), {c.users} users, ingest {'yes' if c.ingest else 'no'} "
                "(first lines of locust's failures CSV):",
                "",
                "```",
                c.failures_head,
                "```",
            ]
    return "\n".join(lines) + "\n"


def run_load(
    store: Path,
    *,
    replicas: int = 1,
    users: list[int],
    duration_s: int = 60,
    ingest: Path | None = None,
    ingest_store: Path | None = None,
    wait: str | None = None,
    questions: Path | None = None,
    warmup: int | None = None,
    out: Path | None = None,
    command: str = "",
    say: Callable[[str], None] = print,
) -> tuple[str, list[Case]]:
    """Run every case; the markdown table (also written to `out`) and the cases."""
    db = store / "articles.sqlite"
    if not db.exists():
        raise FileNotFoundError(f"{store} is not a store (no articles.sqlite in it)")
    if ingest is not None and not ingest.exists():
        raise FileNotFoundError(f"{ingest} not found")
    questions = questions or default_questions()
    warm = load_questions(questions)[: max(1, warmup) if warmup is not None else None]
    env = child_env()
    env.update(LOAD_STORE_DB=str(db.resolve()), LOAD_QUESTIONS=str(questions.resolve()))
    if wait:
        env["LOAD_WAIT"] = wait
    else:
        env.pop("LOAD_WAIT", None)
    cases: list[Case] = []
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rag-load-")))
        say(f"starting {replicas} `rag serve` on {store} (logs in {work})")
        hosts = stack.enter_context(servers(store, replicas, work, env))
        # The answerer remembers sentence embeddings (rag/answerers/reader.py SentenceVectors): a case that
        # ran after another would find a warmer cache than the one before. So every replica first
        # answers the questions once (default all: every case starts from the same warm state).
        say(f"servers: {', '.join(hosts)}; warming each up with {len(warm)} question(s)")
        with ThreadPoolExecutor(len(hosts)) as pool:
            list(pool.map(lambda url: [ask_once(url, q, d) for q, d in warm], hosts))
        # All the quiet cases first: an ingest case leaves a changed store behind (new articles
        # whose sentences nobody asked about yet, a keyword index to rebuild), which would slow
        # a quiet case run after it.
        for with_ingest in (False, True) if ingest is not None else (False,):
            for n in users:
                case = Case(replicas=replicas, users=n, ingest=with_ingest)
                bg = None
                if with_ingest:
                    assert ingest is not None
                    bg = BackgroundIngest(ingest, ingest_store, work, env, work)
                say(f"case: {replicas} replica(s), {n} users, ingest {'yes' if with_ingest else 'no'}, {duration_s} s")
                prefix = work / f"r{replicas}-u{n}-{'ingest' if with_ingest else 'plain'}"
                run_locust(case, hosts, duration_s, prefix, env, bg)
                say(
                    f"  {case.requests} questions, {case.rps:.2f}/s, p50 {case.p50:.0f} ms, "
                    f"p95 {case.p95:.0f} ms, errors {case.failures}" + (f"; {case.ingest_note}" if bg else "")
                )
                cases.append(case)
    text = table(cases, command or shlex.join(sys.argv), duration_s, len(warm))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return text, cases
