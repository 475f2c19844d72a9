import pytest
from ulid import ULID

from configsvc.access.principal import InvalidScope
from configsvc.access.secrets import digest, new_secret
from configsvc.errors import Conflict, NotFound, UnknownReference
from configsvc.repositories.applications import ApplicationsRepository
from configsvc.repositories.audit import Author
from configsvc.repositories.tokens import TokensRepository
from test.sql import sql

pytestmark = pytest.mark.anyio


async def create(tokens: TokensRepository, name: str, *scopes: str) -> str:
    id = str(ULID())
    await tokens.create(id=id, name=name, digest=digest(new_secret()), scopes=list(scopes), expires_at=None)
    return id


async def test_scopes_are_stored_with_applications_by_id_once_each(session):
    app_id = str(ULID())
    await ApplicationsRepository(session).create(id=app_id, name="payments", comments=None)
    tokens = TokensRepository(session)

    stored = await tokens.stored_scopes(["read:payments", f"read:{app_id}", "write:*", "metrics"])

    assert stored == [f"read:{app_id}", "write:*", "metrics"]
    with pytest.raises(UnknownReference):
        await tokens.stored_scopes(["read:nowhere"])
    with pytest.raises(InvalidScope):
        await tokens.stored_scopes(["root"])


async def test_the_first_token_turns_enforcement_on_and_only_the_operator_turns_it_off(session, database_url):
    tokens = TokensRepository(session, Author(request_id="req-1"))
    assert sql(database_url, "SELECT enforced FROM access_control") == [(False,)]

    id = await create(tokens, "root", "admin")

    assert sql(database_url, "SELECT enforced FROM access_control") == [(True,)]
    await tokens.revoke(id)
    assert sql(database_url, "SELECT enforced FROM access_control") == [(True,)]
    await tokens.set_enforced(False)
    assert sql(database_url, "SELECT enforced FROM access_control") == [(False,)]
    assert sql(database_url, "SELECT action, request_id FROM audit_events ORDER BY at") == [
        ("token.create", "req-1"),
        ("token.revoke", "req-1"),
    ]


async def test_tokens_are_found_by_name_or_id_listed_and_never_show_their_digest(session):
    tokens = TokensRepository(session)
    id = await create(tokens, "ci", "read:*")

    assert await tokens.find("ci") == await tokens.find(id) == id
    assert (await tokens.get(id)).json()["name"] == "ci"
    assert [t["id"] for t in (await tokens.page(limit=10, after=None)).json()] == [id]
    shown = (await tokens.get(id)).body.decode()
    assert "digest" not in shown
    assert "secret" not in shown
    with pytest.raises(Conflict):
        await create(tokens, "ci", "read:*")
    for missing in (tokens.get(str(ULID())), tokens.find("nobody"), tokens.revoke(str(ULID()))):
        with pytest.raises(NotFound):
            await missing
