"""The OpenAPI document, completed so that a generated client knows every answer it may get."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import PROBLEM, TITLES

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Every error as a problem document; 401/403 wherever a token is needed, 422 everywhere."""
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            needed = {"422"}
            if operation.get("security"):
                needed |= {"401", "403"}
            if method in WRITE_METHODS:
                needed.add("413")  # a body larger than the server accepts
            for code in needed:
                responses.setdefault(code, {})
            for code, response in responses.items():
                # A route that answers a page or plain text says so; the rest answer problems.
                declared = set(response.get("content", {})) - {"application/json"}
                if code.isdigit() and int(code) >= 400 and not declared:
                    response["description"] = TITLES.get(int(code), ("Error", ""))[0]
                    response["content"] = {PROBLEM: {"schema": PROBLEM_SCHEMA}}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return complete(generate())

    app.openapi = openapi  # type: ignore[method-assign]
