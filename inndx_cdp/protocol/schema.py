"""JSON Schemas of every frame, generated from the models (for docs and client authors)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from .actions import ActionFrame
from .open import OpenFrame, OpenReply
from .replies import (
    ClickedReply,
    ClosedReply,
    ContentReply,
    ErrorFrame,
    EvaluatedReply,
    FilledReply,
    GotoReply,
    ScreenshotReply,
)

__all__ = ["frame_schemas"]

_SENT: tuple[type[BaseModel], ...] = (
    OpenReply,
    GotoReply,
    ClickedReply,
    FilledReply,
    ContentReply,
    EvaluatedReply,
    ScreenshotReply,
    ClosedReply,
    ErrorFrame,
)


def frame_schemas() -> dict[str, dict[str, Any]]:
    """Schemas keyed by name: what clients send (validation), what the server sends (output).

    Keys: ``OpenFrame``, ``ActionFrame``, then ``OpenReply``, each ``*Reply``
    and ``ErrorFrame``. Built on each call (a cold path); callers may mutate them.
    """
    schemas: dict[str, dict[str, Any]] = {
        "OpenFrame": OpenFrame.model_json_schema(mode="validation"),
        "ActionFrame": TypeAdapter(ActionFrame).json_schema(mode="validation"),
    }
    for model in _SENT:
        schemas[model.__name__] = _without_required_id(
            model.model_json_schema(mode="serialization")
        )
    return schemas


def _without_required_id(schema: dict[str, Any]) -> dict[str, Any]:
    # Output schemas mark every field required (all are always written), except
    # ``id``, which is left out when the request had none.
    required = schema.get("required")
    if required and "id" in required:
        schema["required"] = [name for name in required if name != "id"]
    return schema
