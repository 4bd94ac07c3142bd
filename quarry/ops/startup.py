"""The start-up report: one log block saying what this process runs with, and no secret."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from quarry import __version__
from quarry.core.config import Settings
from quarry.core.errors import JobFailure
from quarry.parsing.ocr.engines import chosen_engine
from quarry.parsing.ocr.tessdata import language_folder
from quarry.parsing.options import OcrOptions
from quarry.storage.s3 import parse_storage_url


def startup_report(settings: Settings, *, role: str, workers_here: bool) -> str:
    """Lines for the log: data folder, database, storage, engines, URL policy, workers."""
    rows = {
        "data folder": str(settings.data_dir.resolve()),
        "database": describe_database(settings),
        "storage": describe_storage(settings),
        "OCR engine": describe_ocr(settings),
        "extraction engine": describe_extraction(settings),
        "private addresses": describe_private_urls(settings),
        "workers": describe_workers(settings, workers_here=workers_here),
    }
    width = max(len(name) for name in rows) + 1
    lines = [f"Quarry {__version__} {role} starting ({settings.environment.value} mode)"]
    lines += [f"  {name + ':':<{width}} {value}" for name, value in rows.items()]
    return "\n".join(lines)


def describe_database(settings: Settings) -> str:
    if settings.database_url is None:
        folder = (settings.data_dir / "postgres").resolve()
        return f"embedded PostgreSQL in {folder} (unix socket only)"
    return without_password(settings.database_url)


def without_password(url: str) -> str:
    """The URL with its password (in the user part or the query) replaced by `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = [(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/*"), ""))


def describe_storage(settings: Settings) -> str:
    url = settings.storage_url
    if not url:
        return f"local folder {(settings.data_dir / 'blobs').resolve()}"
    if url.startswith("file:"):
        return f"local folder {urlsplit(url).path}"
    target = parse_storage_url(url)
    where = f"S3 bucket {target.bucket}"
    if target.prefix:
        where += f", prefix {target.prefix}/"
    if target.endpoint_url:
        where += f", endpoint {target.endpoint_url}"
    return where + (", key from STORAGE_URL" if target.access_key_id else "")


def describe_ocr(settings: Settings) -> str:
    options = OcrOptions.from_settings(settings)
    choice = f"OCR_ENGINE={options.engine}, OCR_LANGUAGES={options.languages}"
    if chosen_engine(options) == "tesseract":
        try:
            where = language_folder(options.languages, options.tessdata_dir)
        except JobFailure:
            where = "NO LANGUAGE DATA: OCR jobs will fail"
        return f"tesseract in-process (language data in {where}; {choice})"
    return f"rapidocr ({choice})"


def describe_extraction(settings: Settings) -> str:
    engine = settings.extraction_engine
    if engine == "openai":
        return f"openai, model {settings.openai_model} at {settings.openai_base_url}"
    if engine == "anthropic":
        return f"anthropic, model {settings.anthropic_model} at {settings.anthropic_base_url}"
    return f"{engine} (EXTRACTION_ENGINE)"


def describe_private_urls(settings: Settings) -> str:
    where = "for URL imports, webhooks and S3 endpoints"
    if settings.allow_private_urls:
        state = f"ALLOWED {where} (ALLOW_PRIVATE_URLS=true; link-local and metadata stay blocked)"
    else:
        state = f"blocked {where} (ALLOW_PRIVATE_URLS=false)"
    if settings.private_url_allowlist:
        state += "; allowed all the same: " + ", ".join(settings.private_url_allowlist)
    return state


def describe_workers(settings: Settings, *, workers_here: bool) -> str:
    if not workers_here:
        return "none in this process (--no-workers); run `quarry worker` processes"
    return (
        f"in this process: {settings.worker_concurrency} documents at once "
        f"(WORKER_CONCURRENCY), {settings.webhook_delivery_concurrency} webhook deliveries "
        f"at once (WEBHOOK_DELIVERY_CONCURRENCY)"
    )
