"""Wire models of integrations, their remote folders, OAuth, imports and import batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from quarry.core.api_model import ApiModel, ClosedInput, StrictInput, Timestamp
from quarry.integrations.models import IntegrationStatus, Provider
from quarry.jobs.schemas import JobType

_DRIVE_ID = r"^[A-Za-z0-9_-]{1,200}$"


class IntegrationIn(StrictInput):
    provider: Provider
    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any]


class S3ConfigIn(ClosedInput):
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    region: str = Field("us-east-1", pattern=r"^[a-z0-9-]{2,40}$")
    endpoint_url: str | None = Field(None, max_length=2048)
    prefix: str = Field("", max_length=512)
    force_path_style: bool | None = None


class S3CredentialsIn(ClosedInput):
    access_key_id: str = Field(min_length=1, max_length=256)
    secret_access_key: str = Field(min_length=1, max_length=512)
    session_token: str | None = Field(None, max_length=4096)


class DriveConfigIn(ClosedInput):
    drive_id: str | None = Field(None, pattern=_DRIVE_ID)
    root_folder_id: str | None = Field(None, pattern=_DRIVE_ID)


class DropboxConfigIn(ClosedInput):
    root_folder_id: str | None = Field(None, max_length=4096)


class OAuthCredentialsIn(ClosedInput):
    """Tokens a user already has (or the OAuth callback obtained); the app's client id and
    secret default to GOOGLE_CLIENT_ID/… and DROPBOX_CLIENT_ID/… of the server."""

    refresh_token: str | None = Field(None, min_length=1, max_length=4096)
    access_token: str | None = Field(None, min_length=1, max_length=8192)
    expires_at: datetime | None = None
    client_id: str | None = Field(None, max_length=512)
    client_secret: str | None = Field(None, max_length=512)


class IntegrationOut(ApiModel):
    id: str
    provider: Provider
    name: str
    config: dict[str, Any]
    status: IntegrationStatus
    status_message: str | None
    checked_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class RemoteEntryOut(ApiModel):
    file_id: str
    name: str
    mime_type: str | None
    size: int | None
    modified_at: Timestamp | None
    is_folder: bool


class RemoteFilesOut(ApiModel):
    folder_id: str | None
    data: list[RemoteEntryOut]
    next_cursor: str | None


class OAuthStartOut(ApiModel):
    authorization_url: str
    state: str
    redirect_uri: str
    expires_at: Timestamp


class OAuthCompleteIn(StrictInput):
    code: str = Field(min_length=1, max_length=4096)
    state: str = Field(min_length=1, max_length=4096)


class SourceFileIn(StrictInput):
    file_id: str = Field(min_length=1, max_length=4096)
    external_ref: str | None = Field(None, max_length=500)


class FromSourcesIn(StrictInput):
    integration_id: str = Field(min_length=1, max_length=40)
    file_ids: list[str | SourceFileIn] | None = Field(None, min_length=1)
    folder_id: str | None = Field(None, max_length=4096)
    recursive: bool = False
    schema_id: str = Field(min_length=1)
    job_type: JobType = "EXTRACTION"
    callback_url: str | None = Field(None, max_length=8192)


class TriggerFileIn(StrictInput):
    """Either `url`, or `integrationId` and `fileId`."""

    url: str | None = Field(None, min_length=1, max_length=8192)
    integration_id: str | None = Field(None, min_length=1, max_length=40)
    file_id: str | None = Field(None, min_length=1, max_length=4096)
    external_ref: str | None = Field(None, max_length=500)


class TriggerIn(StrictInput):
    schema_id: str = Field(min_length=1)
    job_type: JobType = "EXTRACTION"
    files: list[TriggerFileIn] = Field(min_length=1)
    callback_url: str | None = Field(None, max_length=8192)


class ImportBatchOut(ApiModel):
    id: str
    job_run_id: str
    total_files: int
    fetched_files: int
    failed_files: int
    pending_files: int
    cancelled_files: int
    created_at: Timestamp
    updated_at: Timestamp
