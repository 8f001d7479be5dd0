"""Turn files into Articles: txt, md, html, pdf, json, jsonl and jsonl.gz records."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rag.models import Article, Failure
from rag.text.dating import dated

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".json", ".jsonl", ".jsonl.gz")


class LoadError(ValueError):
    """A file that cannot be turned into an article; the message says why."""


# The limit when nobody passes one (RagConfig.max_file_mb: the reason is given there).
DEFAULT_MAX_MB = 10.0
# Bytes that never occur in text (all C0 controls but tab, newlines and form feed).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def check_size(n_bytes: int, max_mb: float, what: str = "the file") -> None:
    if n_bytes > max_mb * 1e6:
        raise LoadError(
            f"{what} is {n_bytes / 1e6:.1f} MB, over the limit of {max_mb:g} MB for one article (RAG_MAX_FILE_MB)"
        )


def read_bytes(path: Path, max_mb: float) -> bytes:
    """The file's bytes, refused before reading when over the limit or when it isn't text."""
    check_size(path.stat().st_size, max_mb)
    raw = path.read_bytes()
    head = raw[:8192]
    if b"\x00" in head or sum(head.count(bytes([b])) for b in _CONTROL) > len(head) // 20:
        raise LoadError("looks like a binary file, not text")
    return raw


def decode_utf8(raw: bytes) -> str:
    """Strict UTF-8 (a BOM is dropped): other encodings would be stored as replacement marks."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}): "
            "save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`) and add it again"
        ) from None


def valid_unicode(value: str, where: str, field: str) -> str:
    """JSON can spell lone surrogates ("\\ud800"), which no text file can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start].encode("unicode_escape").decode("ascii")
        raise LoadError(f"{where}: the {field} holds a lone surrogate ({bad}), which is not valid Unicode") from None
    return value


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def path_id(path: Path) -> str:
    # Files without an id field are identified by where they live, so an edited file
    # replaces its earlier version instead of sitting beside it.
    return hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:12]


def parse_date(value: Any) -> dt.date | None:
    """ISO dates, datetimes and a few common spellings; None where it can't be read."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = str(value).strip()
    if s.startswith("D:"):  # PDF dates: D:YYYYMMDD...
        s = s[2:]
    if s[:8].isdigit():  # PDF style YYYYMMDD...
        s = f"{s[:4]}-{s[4:6]}-{s[6:8]}"
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        pass
    for fmt in ("%Y/%m/%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    return None


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".jsonl.gz"):
        return ".jsonl.gz"
    return path.suffix.lower()


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Failure]:
    """Walk folders (skipping hidden entries); report paths that don't exist or can't be read.
    A symbolic link inside a folder is followed only to a file inside that folder: a link to
    /etc/passwd dropped into a news folder must not become an article."""
    for p in map(Path, paths):
        if p.is_dir():
            root = p.resolve()
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(".") for part in rel) and suffix_of(f) in SUFFIXES:
                    if not f.resolve().is_relative_to(root):
                        yield Failure(path=str(f), reason="a symbolic link out of the folder: not followed")
                        continue
                    yield f
        elif p.is_file():
            if suffix_of(p) in SUFFIXES:
                yield p
            else:
                yield Failure(
                    path=str(p),
                    reason=f"unsupported file type {p.suffix or '(none)'}; supported: {', '.join(SUFFIXES)}",
                )
        elif p.is_symlink():
            yield Failure(path=str(p), reason="a broken or looping symbolic link")
        else:
            yield Failure(path=str(p), reason="no such file or folder")


def _title_from_lines(text: str, strip: str = "") -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip(strip).strip()
    return ""


def load_text(path: Path, max_mb: float = DEFAULT_MAX_MB) -> Article:
    text = decode_utf8(read_bytes(path, max_mb))
    if not text.strip():
        raise LoadError("the file is empty")
    strip = "#" if suffix_of(path) in (".md", ".markdown") else ""
    return Article(id=path_id(path), title=_title_from_lines(text, strip), path=str(path), text=text)


def load_html(path: Path, max_mb: float = DEFAULT_MAX_MB) -> Article:
    import trafilatura

    # bytes: trafilatura reads the page's declared charset (old pages are often latin-1)
    raw = read_bytes(path, max_mb)
    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        raise LoadError("no article text found in the HTML")
    return Article(
        id=path_id(path),
        title=getattr(doc, "title", None) or "",
        date=(day := parse_date(getattr(doc, "date", None))),
        dated_by="metadata" if day else "",
        source=getattr(doc, "sitename", None) or getattr(doc, "hostname", None) or "",
        url=getattr(doc, "url", None) or "",
        path=str(path),
        text=text,
    )


class _PdfProblems(logging.Handler):
    """What pypdf logs instead of raising: a damaged stream is a warning ("Error -3 while
    decompressing data") and an empty page, which read as a scanned image."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_pdf(path: Path, max_mb: float = DEFAULT_MAX_MB) -> Article:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    check_size(path.stat().st_size, max_mb)
    problems = _PdfProblems()
    log = logging.getLogger("pypdf")
    log.addHandler(problems)
    try:
        reader = PdfReader(str(path))
        # An encrypted PDF that opens without a password (only an owner password, as many
        # publishers' PDFs have) is read; AES needs `cryptography`, a core dependency.
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("the PDF is password-protected: save it without a password to add it")
        text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
        meta: Mapping[str, Any] = reader.metadata or {}
    except LoadError:
        raise
    except FileNotDecryptedError as exc:
        raise LoadError("the PDF is password-protected: save it without a password to add it") from exc
    except DependencyError as exc:
        raise LoadError(f"this encrypted PDF needs a missing package ({exc}): pip install cryptography") from exc
    except (PdfReadError, ValueError, OSError) as exc:
        raise LoadError(f"unreadable PDF: {exc}") from exc
    finally:
        log.removeHandler(problems)
    if not text.strip():
        if problems.messages:
            raise LoadError(f"the PDF is damaged: its text can't be read ({problems.messages[-1]})")
        raise LoadError("the PDF has no extractable text (scanned image?)")
    title = str(meta.get("/Title") or "") or _title_from_lines(text)
    return Article(
        id=path_id(path),
        title=title,
        date=(day := parse_date(meta.get("/CreationDate"))),
        dated_by="metadata" if day else "",
        path=str(path),
        text=text,
    )


def record_to_article(rec: Any, path: Path, where: str, max_mb: float = DEFAULT_MAX_MB) -> Article:
    if not isinstance(rec, dict):
        raise LoadError(f"{where}: expected a JSON object with a 'text' field")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LoadError(f"{where}: missing or empty 'text'")
    fields = {k: valid_unicode(str(rec.get(k) or ""), where, k) for k in ("id", "title", "source", "url")}
    check_size(len(valid_unicode(text, where, "text").encode("utf-8")), max_mb, f"{where}: the text")
    art_id = fields["id"] or content_hash(f"{path.resolve()}\n{where}\n{text}")[:12]
    return Article(
        id=art_id,
        title=fields["title"],
        date=parse_date(rec.get("date")),
        source=fields["source"],
        url=fields["url"],
        path=str(path),
        text=text,
    )


# Limits of a file of records when nobody passes others (RagConfig: the reasons are given there).
DEFAULT_MAX_RECORDS = 100_000
DEFAULT_MAX_RECORDS_MB = 500.0


def _lines(path: Path, max_line: int, max_total: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line of a (gzipped) JSON Lines file with its number, read in bounded pieces: None for
    a line over `max_line` bytes (read past, never held); a LoadError past `max_total` bytes
    decompressed, so a small .gz of a huge text is stopped while it is read."""
    opener = gzip.open if suffix_of(path) == ".jsonl.gz" else open
    total = 0

    def over() -> LoadError:
        return LoadError(
            f"it holds more than {max_total / 1e6:,.0f} MB of records (decompressed), over the limit for "
            "one file (RAG_MAX_RECORDS_MB): split it"
        )

    with opener(path, "rb") as fh:
        lineno = 0
        while line := fh.readline(max_line + 1):
            lineno += 1
            total += len(line)
            if total > max_total:
                raise over()
            if len(line) <= max_line or line.endswith(b"\n"):
                yield lineno, line
                continue
            while more := fh.readline(1 << 20):  # the rest of the over-long line, a piece at a time
                total += len(more)
                if total > max_total:
                    raise over()
                if more.endswith(b"\n"):
                    break
            yield lineno, None


def load_records(
    path: Path,
    max_mb: float = DEFAULT_MAX_MB,
    max_records: int = DEFAULT_MAX_RECORDS,
    max_records_mb: float = DEFAULT_MAX_RECORDS_MB,
) -> Iterator[Article | Failure]:
    """JSON (one object or a list) and JSON Lines, optionally gzipped; a bad record fails alone.
    JSON Lines are read twice, in bounded pieces: first to check the file's limits (at most
    `max_records` records, `max_records_mb` MB decompressed) so that an over-limit file stores
    nothing, then record by record; a line over `max_mb` fails alone, unread."""
    suffix = suffix_of(path)
    max_line, max_total = int(max_mb * 1e6) + 4096, int(max_records_mb * 1e6)  # 4 kB: a record's other fields
    try:
        if suffix == ".json":
            if (size := path.stat().st_size) > max_total:
                raise LoadError(
                    f"the JSON file is {size / 1e6:,.1f} MB, over the limit of {max_records_mb:g} MB for one "
                    "file of records (RAG_MAX_RECORDS_MB): split it"
                )
            data = json.loads(path.read_text(encoding="utf-8"))
            records = data if isinstance(data, list) else [data]
            if len(records) > max_records:
                raise LoadError(
                    f"{len(records):,} records, over the limit of {max_records:,} for one file (RAG_MAX_RECORDS)"
                )
            for i, rec in enumerate(records):
                try:
                    yield dated(record_to_article(rec, path, f"record {i}", max_mb))
                except LoadError as exc:
                    yield Failure(path=str(path), reason=str(exc))
            return
        count = 0
        for _, line in _lines(path, max_line, max_total):
            count += line is None or bool(line.strip())
            if count > max_records:
                raise LoadError(
                    f"more than {max_records:,} records, over the limit for one file (RAG_MAX_RECORDS): split it"
                )
        for lineno, line in _lines(path, max_line, max_total):
            if line is None:
                yield Failure(
                    path=str(path),
                    reason=f"line {lineno}: the record is over {max_mb:g} MB, the limit for one article "
                    "(RAG_MAX_FILE_MB)",
                )
                continue
            if not line.strip():
                continue
            try:
                yield dated(record_to_article(json.loads(line.decode("utf-8")), path, f"line {lineno}", max_mb))
            except UnicodeDecodeError as exc:
                yield Failure(path=str(path), reason=f"line {lineno}: not valid UTF-8 ({exc.reason})")
            except json.JSONDecodeError as exc:
                yield Failure(path=str(path), reason=f"line {lineno}: invalid JSON ({exc.msg})")
            except LoadError as exc:
                yield Failure(path=str(path), reason=str(exc))
    except json.JSONDecodeError as exc:
        yield Failure(path=str(path), reason=f"invalid JSON: {exc.msg} at line {exc.lineno}")
    except LoadError as exc:
        yield Failure(path=str(path), reason=str(exc))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        yield Failure(path=str(path), reason=f"cannot read: {exc}")


def load_paths(
    paths: Iterable[str | Path],
    max_mb: float = DEFAULT_MAX_MB,
    max_records: int = DEFAULT_MAX_RECORDS,
    max_records_mb: float = DEFAULT_MAX_RECORDS_MB,
) -> Iterator[Article | Failure]:
    """Every article under `paths`, and a Failure (with its reason) for whatever can't be read;
    a file of one article over `max_mb` (and a record whose text is) is refused, and so is a file
    of records over `max_records` or `max_records_mb` (see `load_records`). Each article is
    dated as `rag.text.dating.dated` says."""
    for item in iter_files(paths):
        if isinstance(item, Failure):
            yield item
            continue
        suffix = suffix_of(item)
        if suffix in (".json", ".jsonl", ".jsonl.gz"):
            yield from load_records(item, max_mb, max_records, max_records_mb)
            continue
        try:
            if suffix in (".html", ".htm"):
                article = load_html(item, max_mb)
            elif suffix == ".pdf":
                article = load_pdf(item, max_mb)
            else:
                article = load_text(item, max_mb)
            yield dated(article, item)
        except LoadError as exc:
            yield Failure(path=str(item), reason=str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            yield Failure(path=str(item), reason=f"cannot read: {exc}")
