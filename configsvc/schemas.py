"""Request and response models of the HTTP API."""

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from configsvc.fields import Comments, ConfigObject, ConfigValue, Name, SchemaObject, Timestamp, UlidId, check_text


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
    # `schema` on the wire; a field of that name would shadow BaseModel.schema.
    json_schema: SchemaObject | None = Field(
        default=None,
        alias="schema",
        description="A JSON Schema (draft 2020-12) to guard the configuration from birth: config must satisfy it, "
        "and so must every later write (see PUT .../schema).",
    )


class ConfigurationReplace(RequestModel):
    # Omitted means "unchanged"; an explicit null is refused like any other non-ULID value.
    application_id: UlidId = Field(  # type: ignore[assignment]
        default=None, description="Immutable: omit it, or send the configuration's current application_id."
    )
    name: Name
    comments: Comments = None
    config: ConfigObject


class ConfigurationCandidate(RequestModel):
    """A config to check against a configuration's schema, without storing it."""

    config: ConfigObject


class Validity(BaseModel):
    valid: Literal[True] = Field(description="Always true: a config the schema refuses is a 422 listing why.")


VERSION_DESCRIPTION = "1 on create, +1 on every successful change."
SEQ_DESCRIPTION = (
    "0 on create, +1 with every create, replace, restore and delete of one of the application's "
    "configurations: gap-free and in commit order."
)


class ResponseModel(BaseModel):
    """Describes a representation for OpenAPI; responses themselves are rendered by PostgreSQL
    from the fields in `configsvc.representations` (a test holds the two equal)."""


class ApplicationSummary(ResponseModel):
    id: UlidId
    name: str
    comments: str | None
    version: int = Field(ge=1, description=VERSION_DESCRIPTION + ' The ETag is `"<version>.<seq>"`.')
    seq: int = Field(ge=0, description=SEQ_DESCRIPTION)
    created_at: Timestamp
    updated_at: Timestamp


class Application(ApplicationSummary):
    configuration_ids: list[UlidId] = Field(description="Ids of the application's configurations, oldest first.")


class Configuration(ResponseModel):
    id: UlidId
    application_id: UlidId
    name: str
    comments: str | None
    config: ConfigValue
    version: int = Field(ge=1, description=VERSION_DESCRIPTION + ' The ETag is this number in quotes, `"3"`.')
    created_at: Timestamp
    updated_at: Timestamp


class Actor(ResponseModel):
    """The token a write was made with."""

    token_id: UlidId
    name: str


class Revision(ResponseModel):
    """One immutable version of a configuration's content (revisions carry no ETag)."""

    configuration_id: UlidId
    version: int = Field(ge=1)
    name: str
    comments: str | None
    config: ConfigValue
    created_at: Timestamp = Field(description="When this version was written.")
    actor: Actor | None = Field(description="Who wrote it: null while access control was not enforced.")


SCOPES_DESCRIPTION = (
    "`admin` (everything, tokens and the audit included), `metrics` (/metrics), `read:*` and `write:*` "
    "(every application; write implies read; creating applications takes `write:*`), `read:<application>` "
    "and `write:<application>` (that application by name or id, and everything under it). Applications "
    "are stored by id: a renamed application keeps its tokens."
)


# No NUL characters in the application's name or id (PostgreSQL text cannot store one): said in the
# pattern, so generated data and clients know it, and checked as every text is.
Scope = Annotated[str, Field(pattern=r"^(admin|metrics|(read|write):[^\u0000]{1,256})$"), AfterValidator(check_text)]


def _rfc3339_text(value: object) -> object:
    """A time in a body is RFC 3339 text: a number is not taken as seconds since 1970."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string with a time zone")
    return value


Expiry = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]


class TokenCreate(RequestModel):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=100, description=SCOPES_DESCRIPTION)
    expires_at: Expiry | None = Field(default=None, description="When it stops working (RFC 3339, with a zone).")


class Token(ResponseModel):
    id: UlidId
    name: str
    scopes: list[str] = Field(description="As stored: applications by id.")
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None


class TokenCreated(Token):
    token: str = Field(description="The secret, shown in this response only: `cfgsvc_` and 43 base64url characters.")


class CurrentToken(ResponseModel):
    id: UlidId
    name: str
    scopes: list[str]


class AuditResource(ResponseModel):
    kind: str = Field(description="`application`, `configuration` (its schema's changes too) or `token`.")
    id: UlidId


class AuditEvent(ResponseModel):
    id: UlidId
    at: Timestamp
    actor: Actor | None = Field(description="Who made the write: null while access control was not enforced.")
    request_id: str | None
    action: str = Field(description="e.g. `configuration.replace`.")
    resource: AuditResource
    application_id: UlidId | None
    version: int | None = Field(description="The resource's version the write made (or deleted).")
