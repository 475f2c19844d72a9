import pytest
from ulid import ULID

from configsvc.access.secrets import digest, new_secret
from configsvc.errors import NotFound
from configsvc.repositories.tokens import TokensRepository
from configsvc.views import access

pytestmark = pytest.mark.anyio


async def test_a_token_is_found_by_its_digest_with_its_principal_and_tagged_by_its_id(session):
    secret, id = new_secret(), str(ULID())
    await TokensRepository(session).create(id=id, name="svc", digest=digest(secret), scopes=["read:*"], expires_at=None)
    unknown = digest(new_secret())

    answers = await access.tokens(session, [digest(secret), unknown])

    credential = answers[digest(secret)].result()
    assert (credential.principal.token_id, credential.principal.read_all, credential.revoked_at) == (id, True, None)
    assert answers[digest(secret)].tags == (f"token/{id}",)
    with pytest.raises(NotFound):
        answers[unknown].result()
    assert answers[unknown].tags == ()  # nothing to evict it by: not kept


async def test_enforcement_follows_the_database(session):
    assert not (await access.enforcement(session, [""]))[""].result().enforced
    await TokensRepository(session).set_enforced(True)
    answer = (await access.enforcement(session, [""]))[""]
    assert answer.result().enforced
    assert answer.tags == ("access control",)
