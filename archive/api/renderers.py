"""JSON rendering through orjson (kept apart from views: DRF's settings import it early)."""

from decimal import Decimal

import orjson
from rest_framework.renderers import BaseRenderer


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    return str(value)  # lazy translation strings and similar


def dumps(data) -> bytes:
    # Non-string keys occur in validation errors for list items ({"aliases": {0: [...]}}).
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


class ORJSONRenderer(BaseRenderer):
    """JSON through orjson: several times faster than the standard library on quote lists."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b"" if data is None else dumps(data)
