"""An event payload as a request body: JSON, XML or an HTML form, all with the same content.

- JSON: the payload itself, `{"id", "type", "occurredAt", "seq"?, "data"}`.
- FORM (`application/x-www-form-urlencoded`): `id`, `type`, `occurredAt`, `seq` as fields and
  `data` as a JSON text field.
- XML: `<event>` with the same members; objects become elements named by their keys (or
  `<item key="…">` where a key is not an XML name), arrays `type="array"` with one `<item>` per
  element, and non-strings carry `type="number"`, `type="boolean"` or `null="true"`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from quarry.webhooks.models import BodyFormat

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CONTENT_TYPES = {
    BodyFormat.JSON: "application/json",
    BodyFormat.XML: "application/xml; charset=utf-8",
    BodyFormat.FORM: "application/x-www-form-urlencoded",
}


def render(payload: dict[str, Any], body_format: BodyFormat) -> tuple[bytes, str]:
    """The body bytes and their Content-Type."""
    if body_format is BodyFormat.XML:
        text = '<?xml version="1.0" encoding="UTF-8"?>' + _element("event", payload)
    elif body_format is BodyFormat.FORM:
        text = urlencode([(k, _form_value(v)) for k, v in payload.items()])
    else:
        text = json_text(payload)
    return text.encode("utf-8"), CONTENT_TYPES[body_format]


def json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json_text(value)


def _element(name: str, value: Any) -> str:
    valid = _XML_NAME.match(name) is not None and not name.lower().startswith("xml")
    tag, attrs = (name, "") if valid else ("item", f' key="{_escape(name)}"')
    if value is None:
        return f'<{tag}{attrs} null="true"/>'
    if isinstance(value, dict):
        inner = "".join(_element(str(k), v) for k, v in value.items())
        return f"<{tag}{attrs}>{inner}</{tag}>"
    if isinstance(value, list):
        inner = "".join(_element("item", v) for v in value)
        return f'<{tag}{attrs} type="array">{inner}</{tag}>'
    if isinstance(value, bool):
        return f'<{tag}{attrs} type="boolean">{"true" if value else "false"}</{tag}>'
    if isinstance(value, int | float):
        return f'<{tag}{attrs} type="number">{json_text(value)}</{tag}>'
    return f"<{tag}{attrs}>{_escape(str(value))}</{tag}>"


def _escape(text: str) -> str:
    text = _XML_INVALID.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
