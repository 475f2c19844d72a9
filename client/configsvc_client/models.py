"""What the client hands back: a configuration's snapshot, an application, a revision."""

from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
Source = Literal["server", "cache"]


class Model(Protocol[T_co]):
    """Anything with a `model_validate` class method, e.g. a Pydantic model: the client validates
    with it and depends on no validation library itself."""

    def model_validate(self, obj: Any, /) -> T_co: ...


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[T]):
    """One version of a configuration as the client received it.

    `source` is "server" for a fresh answer and "cache" for the last-known-good copy read while the
    service could not answer; `stale` is True exactly then. `value` is the config validated by the
    model the caller gave (the config itself without one).
    """

    application: str
    name: str
    config: dict[str, Any]
    etag: str
    version: int
    id: str
    application_id: str
    comments: str | None
    created_at: str
    updated_at: str
    source: Source = "server"
    stale: bool = False
    value: T = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    @classmethod
    def from_representation(
        cls, application: str, representation: dict[str, Any], etag: str, *, source: Source = "server"
    ) -> "Snapshot[dict[str, Any]]":
        """From the service's JSON of a configuration (GET, PUT, POST and collection pages alike)."""
        return Snapshot(
            application=application,
            name=representation["name"],
            config=representation["config"],
            etag=etag,
            version=representation["version"],
            id=representation["id"],
            application_id=representation["application_id"],
            comments=representation.get("comments"),
            created_at=representation["created_at"],
            updated_at=representation["updated_at"],
            source=source,
            stale=source == "cache",
            value=representation["config"],
        )

    def representation(self) -> dict[str, Any]:
        """The service's JSON of this version (what the cache keeps, and what the CLI prints)."""
        return {
            "id": self.id,
            "application_id": self.application_id,
            "name": self.name,
            "comments": self.comments,
            "config": self.config,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def validated(self, model: "Model[T] | None") -> "Snapshot[T]":
        """This snapshot with `value` set by `model.model_validate(config)` (its error propagates)."""
        if model is None:
            return self  # type: ignore[return-value]
        return replace(self, value=model.model_validate(self.config))

    def from_cache(self) -> "Snapshot[T]":
        return replace(self, source="cache", stale=True)

    def same_version(self, other: "Snapshot | None") -> bool:
        """Whether `other` is this very version: the same configuration (id) and the same ETag. The
        id matters: a configuration deleted and created again under its name starts at version 1."""
        return other is not None and other.id == self.id and other.etag == self.etag


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    name: str
    comments: str | None
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def from_representation(cls, representation: dict[str, Any]) -> "Application":
        return cls(
            id=representation["id"],
            name=representation["name"],
            comments=representation.get("comments"),
            version=representation["version"],
            created_at=representation["created_at"],
            updated_at=representation["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class Revision:
    """One immutable version of a configuration's content, as its history keeps it."""

    configuration_id: str
    version: int
    name: str
    comments: str | None
    config: dict[str, Any]
    created_at: str

    @classmethod
    def from_representation(cls, representation: dict[str, Any]) -> "Revision":
        return cls(**{name: representation[name] for name in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
