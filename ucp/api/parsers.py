"""The JSON body parser of the seed API: DRF's, plus the checks that keep hostile bodies from
reaching the database or the renderer as 500s.

PostgreSQL refuses NUL characters in text and jsonb, and UTF-8 cannot encode an unpaired
surrogate (JSON allows `"\\ud800"`), so a string holding either is refused here, with its path
named, before any service sees it. Nesting is bounded: Python's decoder would otherwise fail with a
RecursionError on a body of a few thousand brackets.
"""

import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ucp import errors

MAX_NESTING = 32
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def child_path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def refuse_unstorable(data) -> None:
    """Raises InvalidInput naming the first string (value or key) that PostgreSQL or UTF-8 cannot
    hold, or the first value nested deeper than MAX_NESTING. Iterative, so depth costs no stack."""
    stack = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise errors.InvalidInput.for_field(
                path or "body", f"is nested deeper than {MAX_NESTING} levels"
            )
        if isinstance(value, str):
            if UNSTORABLE_CHARACTERS.search(value):
                raise errors.InvalidInput.for_field(
                    path or "body", "must not contain NUL characters or unpaired surrogates"
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if UNSTORABLE_CHARACTERS.search(key):
                    raise errors.InvalidInput.for_field(
                        path or "body",
                        "has a key with NUL characters or unpaired surrogates",
                    )
                stack.append((child_path(path, key), item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((child_path(path, index), item, depth + 1))


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None
        refuse_unstorable(data)
        return data
