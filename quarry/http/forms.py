"""Multipart forms declared once: the OpenAPI request body and the checks of what arrives.

A `FormSpec` lists a route's form fields as JSON-schema properties. The same object writes
the route's `requestBody` (so the document says `multipart/form-data`, not JSON) and checks a
received form: a field or file whose name looks like a misspelt known one (`schemaid`,
`external_ref`) answers 400 with a hint, like JSON bodies do; other unknown names are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic_core import PydanticCustomError

from quarry.core.config import Settings
from quarry.core.errors import BadRequest, ErrorDetail
from quarry.core.input_checks import check_keys
from quarry.sources.upload import ReceivedForm, receive_multipart

BINARY = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class FormSpec:
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ()
    encoding: dict[str, Any] = field(default_factory=dict)

    def openapi(self) -> dict[str, Any]:
        """The route's `openapi_extra`: a multipart/form-data request body."""
        schema: dict[str, Any] = {"type": "object", "properties": self.properties}
        if self.required:
            schema["required"] = list(self.required)
        media: dict[str, Any] = {"schema": schema}
        if self.encoding:
            media["encoding"] = self.encoding
        body = {"required": True, "content": {"multipart/form-data": media}}
        return {"requestBody": body}

    def check(self, form: ReceivedForm) -> None:
        names = [*form.fields, *(uploaded.field_name for uploaded in form.files)]
        try:
            check_keys(names, self.properties)
        except PydanticCustomError as exc:
            context = exc.context or {}
            name = str(context.get("field", ""))
            raise BadRequest(
                f"Unknown form field {name!r}", details=[ErrorDetail(name, exc.message())]
            ) from None


async def receive_form(
    request: Request, settings: Settings, spec: FormSpec, *, max_files: int
) -> ReceivedForm:
    """Receive a multipart body and check it against `spec`; the caller must `cleanup()`."""
    form = await receive_multipart(
        request.headers.get("content-type"),
        request.stream(),
        tmp_dir=settings.data_dir / "tmp",
        max_file_size=settings.max_file_size,
        max_files=max_files,
    )
    try:
        spec.check(form)
    except BaseException:
        form.cleanup()
        raise
    return form
