"""What `POST /v1/responses` accepts: the fields KeyLedger reads, strictly typed.

Fields not named here are checked (or refused) by the translation in `request.py`; the
rest of the Responses request shape is free-form JSON, as OpenAI's reference documents it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from ...web.fields import JsonBool, NoCoercion


class ResponsesIn(BaseModel):
    """An OpenAI Responses request; fields not named are read by the translation."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    input: str | list[dict[str, Any]]
    instructions: str | None = None
    stream: JsonBool | None = None
    store: JsonBool | None = None
    previous_response_id: str | None = None
    max_output_tokens: Annotated[int, Field(ge=1), NoCoercion] | None = None
    temperature: Annotated[StrictFloat, Field(ge=0, le=2)] | None = None
    top_p: Annotated[StrictFloat, Field(ge=0, le=1)] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: JsonBool | None = None
    text: dict[str, Any] | None = None
