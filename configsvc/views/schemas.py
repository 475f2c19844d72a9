"""Reads of configurations' JSON Schemas: each the schema as jsonb prints it (as its writes return
it), with its version as a strong ETag, owned by the configuration's application (access control)."""

from configsvc.db.statements import Reads
from configsvc.representations import Representation
from configsvc.views import tags
from configsvc.views.answer import Answer

# The configuration too, so that a 404 says which of the two is missing.
SELECT_BY_CONFIGURATION_IDS = """
SELECT c.id AS key, s.schema::text AS body, '"' || s.version || '"' AS etag, c.application_id AS owner
FROM configurations c LEFT JOIN configuration_schemas s ON s.configuration_id = c.id
WHERE c.id = ANY(%(ids)s::varchar[])
"""


async def schemas(session: Reads, ids: list[str]) -> dict[str, Answer]:
    rows = {row["key"]: row for row in await session.fetch_all(SELECT_BY_CONFIGURATION_IDS, {"ids": ids})}
    answers = {}
    for id in ids:
        row = rows.get(id)
        if row is None:
            answers[id] = Answer.not_found("no such configuration", tags.schema(id))
        elif row["body"] is None:
            # The application first: a token that may read it may learn that the schema is missing.
            answers[id] = Answer.not_found("this configuration has no schema", row["owner"], tags.schema(id))
        else:
            answers[id] = Answer.found(Representation.from_row(row), tags.schema(id))
    return answers
