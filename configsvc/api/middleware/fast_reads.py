"""The hottest reads, answered before FastAPI's routing: GET (and HEAD) of one configuration and of
one application by a canonical id, and of a configuration by name.

The answer is the one the declared routes give (they call the same functions, and a test compares
both ways byte for byte); what is skipped is per-request machinery (scanning the routes, solving
the route's parameters through Pydantic, building a Request) that measured more than the read
itself when it is served from memory. Anything else, a malformed id included, goes on to FastAPI.
"""

import re
from collections.abc import Hashable
from typing import Any
from urllib.parse import parse_qsl

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from configsvc.api.deps import services_of
from configsvc.api.http import query
from configsvc.api.http.auth import AUTHORIZATION, authenticate, readable_value
from configsvc.api.http.conditions import IF_NONE_MATCH
from configsvc.api.http.problems import domain_error_response, validation_error_response
from configsvc.api.http.responses import conditional_response
from configsvc.api.http.watching import PREFER, watched_response
from configsvc.api.routes.applications import get_application
from configsvc.api.routes.configurations import ByNameQuery, get_configuration, get_configuration_by_name
from configsvc.errors import DomainError
from configsvc.fields import MAX_NAME, ULID_PATTERN
from configsvc.views import kinds
from configsvc.views.keys import ByName
from configsvc.views.kinds import ReadKind

_ID = ULID_PATTERN.strip("^$")
# Which read each path answers, and the declared route it answers for.
BY_ID = {
    "configurations": (kinds.CONFIGURATION, get_configuration),
    "applications": (kinds.APPLICATION, get_application),
}
HOT_PATH = re.compile(rf"/api/v1/(?:(configurations|applications)/({_ID})|configurations/(by-name))")


# The usual by-name query: the two names, with nothing to unquote (no `%`, no `+`), either order,
# each a valid name (1 to MAX_NAME characters, no NUL: one byte is one character, as decoded).
_PLAIN = rb"([^&=%%+\x00]{1,%d})" % MAX_NAME
_PLAIN_NAMES = re.compile(rb"application=%s&name=%s|name=%s&application=%s" % (_PLAIN, _PLAIN, _PLAIN, _PLAIN))


def well_formed_names(query_string: bytes) -> ByName | None:
    """The names of a by-name query that is exactly `application` and `name`, each once and each a
    valid name, checked without building a model; None for anything else, which the model then
    judges (and answers with the same 422 problems the declared route gives)."""
    plain = _PLAIN_NAMES.fullmatch(query_string)
    if plain is not None:  # what parse_qsl would give, without its unquoting: there is none to do
        application_bytes, name_bytes, name_first, application_second = plain.groups()
        if application_bytes is None:
            application_bytes, name_bytes = application_second, name_first
        return ByName(application_bytes.decode("latin-1"), name_bytes.decode("latin-1"))
    items = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # as Starlette parses it
    if len(items) != 2:
        return None
    (first, application), (second, name) = items
    if first == "name" and second == "application":
        application, name = name, application
    elif not (first == "application" and second == "name"):
        return None
    for value in (application, name):
        if not 0 < len(value) <= MAX_NAME or "\x00" in value:
            return None
    return ByName(application, name)


def by_name_model(query_string: bytes) -> ByName:
    names = query.parse_items(ByNameQuery, QueryParams(query_string).multi_items())
    return ByName(names.application, names.name)


_AUTHORIZATION, _PREFER, _IF_NONE_MATCH = (name.lower().encode() for name in (AUTHORIZATION, PREFER, IF_NONE_MATCH))


def _read_headers(raw: list[tuple[bytes, bytes]]) -> tuple[str | None, bool, str | None]:
    """Authorization and If-None-Match (each the first sent, as Starlette's `Headers.get` gives it),
    and whether Prefer was sent: one pass over the request's headers, not one per header asked for
    (ASGI servers give the names lower-cased)."""
    authorization = if_none_match = None
    prefer = False
    for name, value in raw:
        if name == _AUTHORIZATION:
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == _IF_NONE_MATCH:
            if if_none_match is None:
                if_none_match = value.decode("latin-1")
        elif name == _PREFER:
            prefer = True
    return authorization, prefer, if_none_match


class FastReadsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = HOT_PATH.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        collection, id, by_name = match.groups()
        authorization, prefer, if_none_match = _read_headers(scope["headers"])
        kind: ReadKind[Any]
        try:
            if by_name:
                kind, scope["endpoint"] = kinds.BY_NAME, get_configuration_by_name
                key: Hashable = well_formed_names(scope["query_string"]) or by_name_model(scope["query_string"])
            else:
                kind, scope["endpoint"] = BY_ID[collection]  # the endpoint: the declared route this answers for
                key = id.upper()
            services = services_of(scope)
            # The token and the read are proven together: one sync round trip for both.
            auth, (answer,) = await authenticate(
                services.reader,
                required=services.settings.auth_required,
                authorization=authorization,
                also=((kind, key),),
            )
            first = (readable_value(auth.principal, answer, kind.absent), answer.tags)
            if prefer:
                response = await watched_response(scope, Headers(scope=scope), auth, kind, key, first=first)
            else:
                response = conditional_response(first[0], if_none_match)
        except DomainError as error:
            response = domain_error_response(scope, error)
        except RequestValidationError as error:  # a malformed If-None-Match, or names
            response = validation_error_response(scope, error)
        await response(scope, receive, send)
