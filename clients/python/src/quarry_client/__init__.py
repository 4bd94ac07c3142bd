"""Python client for Quarry: schemas, batch runs, results and webhooks.

from quarry_client import Client

with Client("http://localhost:4000", api_key="ef_live_…") as quarry:
    run = quarry.runs.create(["a.pdf", "b.pdf"], schema_id=schema.id)
    quarry.runs.wait(run.id)
    for row in quarry.runs.results(run.id):
        print(row.external_ref, row.status, row.fields)
"""

from quarry_client._async import AsyncClient
from quarry_client._core import __version__
from quarry_client._sync import Client
from quarry_client.errors import ErrorDetail, QuarryError, QuarryTimeout, WebhookVerificationError
from quarry_client.models import (
    Document,
    Event,
    Extraction,
    FieldDetail,
    Job,
    JobRun,
    Page,
    ResultRow,
    RunCreated,
    Schema,
)
from quarry_client.webhooks import verify_webhook

__all__ = [
    "AsyncClient",
    "Client",
    "Document",
    "ErrorDetail",
    "Event",
    "Extraction",
    "FieldDetail",
    "Job",
    "JobRun",
    "Page",
    "QuarryError",
    "QuarryTimeout",
    "ResultRow",
    "RunCreated",
    "Schema",
    "WebhookVerificationError",
    "__version__",
    "verify_webhook",
]
