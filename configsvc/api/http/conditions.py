"""ETags and conditional requests: versions as strong ETags, If-Match and If-None-Match."""

import re
from typing import Annotated

from fastapi import Header
from fastapi.exceptions import RequestValidationError
from pydantic import WithJsonSchema

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
# A tag may hold commas, so a list is matched whole, then its tags are picked out in order.
ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_LIST = r"[ \t]*(?:\*|{tag}(?:[ \t]*,[ \t]*{tag})*)[ \t]*"
ENTITY_TAG_LIST = re.compile(_LIST.format(tag=r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'))
# If-Match and If-None-Match (§13.1.1, §13.1.2): "*" or a comma-separated list of entity tags.
# Documented for ASCII (obs-text, bytes 0x80-0xFF, is accepted but not something to generate).
ENTITY_TAG_LIST_PATTERN = "^" + _LIST.format(tag='(?:W/)?"[!#-~]*"') + "$"

_IF_MATCH_DESCRIPTION = (
    'Write only if the current ETag is one of these (e.g. `"3"`, or `"3", "4"`), or `*`: entity tags as in '
    'RFC 9110, compared strongly (a weak `W/"3"` never matches). A stale one is answered 412 with the current '
    "version in `current_version`; anything that is not an entity-tag list is a 422."
)
# Documented as a string of that syntax, never null: a generated client must not offer to send None.
IfMatchHeader = Annotated[
    str | None,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ENTITY_TAG_LIST_PATTERN,
            "description": _IF_MATCH_DESCRIPTION,
            "examples": ['"1"'],
        }
    ),
    Header(alias="If-Match", description=_IF_MATCH_DESCRIPTION),
]
IF_NONE_MATCH = "If-None-Match"


def _entity_tags(value: str, header: str) -> list[tuple[bool, str]] | None:
    """Parse a list of entity tags; None means `*`. Malformed lists are a 422 on the header."""
    if ENTITY_TAG_LIST.fullmatch(value) is None:
        raise RequestValidationError(
            [{"loc": ("header", header), "msg": 'Expected "*" or a list of quoted ETags like "3"', "type": "etag"}]
        )
    if value.strip(" \t") == "*":
        return None
    return [(match.group(1) is not None, match.group(2)) for match in ENTITY_TAG.finditer(value)]


def expected_etags(if_match: str | None) -> list[str] | None:
    """If-Match as the ETags (quoted, as sent) a write may replace; None when any will do.

    If-Match uses the strong comparison: a weak tag (W/"3") never matches, so a header made only
    of weak tags expects none at all and always fails with 412. The write compares the list with
    the resource's current ETag in its WHERE clause (see `configsvc.representations`).
    """
    if if_match is None:
        return None
    tags = _entity_tags(if_match, "if-match")
    if tags is None:
        return None
    return [f'"{tag}"' for weak, tag in tags if not weak]


def if_match_list(if_match: str | None) -> list[str] | None:
    """If-Match for a resource that may not exist (a configuration's schema): None without the
    header, `["*"]` for `*`, which holds only while there is a current representation."""
    if if_match is None:
        return None
    expected = expected_etags(if_match)
    return ["*"] if expected is None else expected


def none_match(if_none_match: str | None, current_etag: str) -> bool:
    """Whether If-None-Match lists the current ETag (weak comparison: W/ is ignored), or is `*`."""
    if if_none_match is None:
        return False
    tags = _entity_tags(if_none_match, "if-none-match")
    return tags is None or any(f'"{tag}"' == current_etag for _, tag in tags)
