"""Service settings: read once from the environment and `.env`, validated at start-up."""

import os
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self

import psycopg2.extensions
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Per process. A worker is one event loop: more connections than a few add no throughput, and
# WORKERS x 10 backends on a small host made PostgreSQL itself stall (see README, Performance).
DEFAULT_POOL_MAX_SIZE = 4


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the setting."""


class Settings(BaseSettings):
    """Every setting of the service (README: Settings); environment variables override `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    database_url: str = ""
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    db_pool_min_size: int = Field(default=2, ge=0)
    db_pool_max_size: int = Field(default=DEFAULT_POOL_MAX_SIZE, ge=1)
    db_lease_timeout_seconds: float = Field(default=5.0, gt=0, le=300, allow_inf_nan=False)
    db_statement_timeout_ms: int = Field(default=5000, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # A request line and a few ordinary headers take several hundred bytes: below 1 KiB, ordinary
    # requests would be refused, which is a typo rather than a policy.
    max_header_bytes: int = Field(default=65_536, ge=1024)
    headers_timeout_seconds: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    read_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    read_refresh: bool = True
    watch_max_seconds: int = Field(default=50, ge=0, le=3600)
    watch_max_held: int = Field(default=10_000, ge=0)
    metrics_enabled: bool = True
    log_format: Literal["text", "json"] = "text"
    auth_required: bool = False

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        if value:
            try:
                parts = psycopg2.extensions.parse_dsn(value)
            except psycopg2.ProgrammingError:
                raise ValueError("not a valid PostgreSQL URL or connection string") from None
            if not all(port.isdigit() for port in parts.get("port", "5432").split(",")):
                raise ValueError("the port must be a number")
        return value

    @model_validator(mode="after")
    def _pool_bounds_ordered(self) -> Self:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE")
        return self

    @model_validator(mode="before")
    @classmethod
    def _maximum_follows_a_lone_minimum(cls, data: Any) -> Any:
        """Only DB_POOL_MIN_SIZE set, above the default maximum (valid while that was 10): honour
        it rather than refuse to start a configuration that used to work."""
        if isinstance(data, dict) and "db_pool_max_size" not in data:
            minimum = data.get("db_pool_min_size")
            with suppress(TypeError, ValueError):  # a bad value is reported by the field itself
                if minimum is not None and int(minimum) > DEFAULT_POOL_MAX_SIZE:
                    return data | {"db_pool_max_size": minimum}
        return data


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's report into one message per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_input=False, include_url=False):
            message = item["msg"].removeprefix("Value error, ")
            setting = "".join(str(part) for part in item["loc"]).upper()
            problems.append(f"{setting}: {message}" if setting else message)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, loaded on first use (tests build their own)."""
    return load_settings()


def settings_or_exit(program: str) -> Settings:
    """For entry points: the settings, or exit with one line naming every bad setting."""
    try:
        return load_settings()
    except SettingsError as error:
        raise SystemExit(f"{program}: {error}") from None
