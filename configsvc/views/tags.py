"""What an answer depends on, named once. A tag is what a change notification says changed; the
cache evicts, and the watches wake, by tag. The notifications are made by triggers (migrations 0003
and 0004, 0005, 0006, 0007): 'a:<application id>' (its row changed), 'a:<application id>:seq' (only
its seq moved), 'a:<application id>:new' and ':gone', 'c:<configuration id>:<application id>',
's:<configuration id>' (its JSON Schema changed), 't:<token id>', 'x' (whether access control is
enforced), and '*' (a table was truncated)."""

# Which applications exist: a page of the list changes when one appears or goes (besides when one
# it shows changes, which its own tag says).
APPLICATIONS = "applications"
# Which application has which name: what a page of the list filtered by name depends on.
APPLICATION_NAMES = "application names"
# Whether access control is enforced (the one row of access_control).
ACCESS_CONTROL = "access control"


def resource(id: str) -> str:
    """A configuration or an application, as a whole (ids are ULIDs: unique across both)."""
    return id


def application_row(application_id: str) -> str:
    """An application's own fields (name, comments, version), apart from its seq: what a
    configuration read by its application's name depends on, besides the configuration."""
    return f"{application_id}/row"


def token(id: str) -> str:
    """A token: its scopes, expiry, revocation."""
    return f"token/{id}"


def schema(configuration_id: str) -> str:
    """A configuration's JSON Schema: apart from the configuration, so that setting one wakes
    none of the configuration's watchers."""
    return f"{configuration_id}/schema"


def of_notification(payload: str) -> tuple[str, ...] | None:
    """The tags a notification changes; None for '*' or anything unknown (anything may have
    changed). A configuration's change moves its application's representation too (seq)."""
    kind, _, rest = payload.partition(":")
    if kind == "a" and rest:
        application_id, _, what = rest.partition(":")
        if what == "seq":
            return (application_id,)
        if what in ("new", "gone"):
            return (application_id, application_row(application_id), APPLICATIONS, APPLICATION_NAMES)
        return (application_id, application_row(application_id), APPLICATION_NAMES)
    if kind == "s" and rest:
        return (schema(rest),)
    if kind == "c" and rest:
        configuration_id, _, application_id = rest.partition(":")
        return (configuration_id, application_id)
    if kind == "t" and rest:
        return (token(rest),)
    if payload == "x":
        return (ACCESS_CONTROL,)
    return None
