"""OpenAPI post-processing: every operation lists the errors it can answer, in the one shape."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Machine-readable, e.g. invalid, not_found."},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "For code=invalid: each bad parameter or field and what is wrong.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
WRITES = {"post", "put", "patch", "delete"}


def document_errors(result, generator, request, public):
    """A drf-spectacular POSTPROCESSING_HOOK adding 400/401/403/404/409/412/415/422/429 where they apply."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in WRITES | {"get", "head"}:
                continue
            responses = operation.setdefault("responses", {})

            def add(code: int, description: str, responses=responses) -> None:
                responses.setdefault(str(code), {"description": description, "content": error})

            parameters = operation.get("parameters", [])
            if any(p.get("in") in ("query", "header") for p in parameters) or "requestBody" in operation:
                add(400, "An invalid parameter or field (named in error.fields).")
            if "{" in path:
                add(404, "No such resource, or not visible to you.")
            elif any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                add(404, "The page number is past the last page.")
            if method in WRITES:
                add(401, "No or invalid token (send Authorization: Token <key>).")
                add(403, "The token's user may not do this.")
            if "requestBody" in operation:
                add(415, "The body is not in a supported format (send Content-Type: application/json).")
            if any(p.get("name") == "Idempotency-Key" for p in parameters):
                add(409, "A request with this Idempotency-Key is still in progress.")
                add(422, "This Idempotency-Key was used with a different request.")
            if method == "delete":
                add(409, "Other records still refer to this one (quotes are never orphaned).")
            if any(p.get("name") == "If-Match" for p in parameters):
                add(412, "If-Match does not match the current ETag.")
            add(429, "Too many requests; retry after the Retry-After header's seconds.")
    return result
