"""Every ORM model, imported once so the metadata is complete (Alembic, tests)."""

from quarry.auth.models import ApiKey, LoginFailure, RateLimitHit, RefreshToken, User
from quarry.core.db import Base
from quarry.documents.models import Document
from quarry.events.models import Event
from quarry.extraction_schemas.models import ExtractionSchema, ExtractionSchemaVersion
from quarry.idempotency.models import IdempotencyRecord
from quarry.integrations.models import Integration
from quarry.jobs.models import Extraction, Job, PendingUpload
from quarry.runs.models import ImportBatch, JobRun
from quarry.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "Base",
    "Document",
    "Event",
    "Extraction",
    "ExtractionSchema",
    "ExtractionSchemaVersion",
    "IdempotencyRecord",
    "ImportBatch",
    "Integration",
    "Job",
    "JobRun",
    "LoginFailure",
    "PendingUpload",
    "RateLimitHit",
    "RefreshToken",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
