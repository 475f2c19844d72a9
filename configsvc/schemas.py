"""Request and response models of the HTTP API (SPEC §4)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from configsvc.fields import Comments, ConfigObject, Name, Timestamp, UlidId


class RequestModel(BaseModel):
    """Bodies reject unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ApplicationWrite(RequestModel):
    name: Name
    comments: Comments = None


class ConfigurationCreate(RequestModel):
    application_id: UlidId
    name: Name
    comments: Comments = None
    config: ConfigObject = Field(default_factory=dict)


class ConfigurationReplace(RequestModel):
    # Omitted means "unchanged"; an explicit null is refused like any other non-ULID value.
    application_id: UlidId = Field(  # type: ignore[assignment]
        default=None, description="Immutable: omit it, or send the configuration's current application_id."
    )
    name: Name
    comments: Comments = None
    config: ConfigObject


class ApplicationSummary(BaseModel):
    id: UlidId
    name: str
    comments: str | None
    created_at: Timestamp
    updated_at: Timestamp


class Application(ApplicationSummary):
    configuration_ids: list[UlidId] = Field(description="Ids of the application's configurations, oldest first.")


class Configuration(BaseModel):
    id: UlidId
    application_id: UlidId
    name: str
    comments: str | None
    config: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
