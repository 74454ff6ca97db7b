"""The JSON request parser: DRF's, plus the limits a public JSON API needs before any view runs.

Four kinds of body parse as JSON yet break something later, so they are refused here with a
clear `invalid-input` naming the place, instead of surfacing as a 500 deep inside a view:

- Nesting deeper than MAX_JSON_DEPTH. Python's json module recurses per level and raises
  RecursionError (not ValueError) on very deep input, which DRF does not turn into a parse error;
  moderately deep input parses but can exhaust the stack later (error flattening, rendering).
- NUL characters (`\\u0000`) in any string or key: PostgreSQL refuses them in text and jsonb.
- Lone UTF-16 surrogates (`\\ud800`): json accepts them, but they cannot be encoded as UTF-8, so
  saving or echoing them fails.
- Numbers that are not finite: Python's json reads `NaN`, `Infinity` and a literal too large for
  a float (`1e999`, read as infinity), but PostgreSQL's jsonb refuses them, so storing free-form
  JSON that holds one (a payment instrument's display data) fails.
"""

import json
import math

from django.conf import settings
from rest_framework.parsers import JSONParser

from ucp import errors

DEFAULT_MAX_JSON_DEPTH = 32


def max_json_depth() -> int:
    return getattr(settings, "UCP_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH)


def string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL characters (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it contains a lone surrogate)"
    return None


def child_path(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_parsed_json(data, *, max_depth: int) -> None:
    """Walks the parsed body without recursion; raises InvalidInput at the first problem."""
    pending = [(data, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            problem = string_problem(value)
            if problem:
                raise errors.InvalidInput.for_field(path or "body", problem)
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise errors.InvalidInput.for_field(path or "body", "must be a finite number")
        if not isinstance(value, (dict, list)):
            continue
        if depth > max_depth:
            raise errors.InvalidInput(
                f"The request body is nested deeper than {max_depth} levels.",
                details={
                    "fields": {path or "body": ["is nested too deeply"]},
                    "max_depth": max_depth,
                },
            )
        if isinstance(value, dict):
            for key, child in value.items():
                problem = string_problem(key)
                if problem:
                    raise errors.InvalidInput.for_field(path or "body", f"has a key that {problem}")
                pending.append((child, child_path(path, key), depth + 1))
        else:
            for index, child in enumerate(value):
                pending.append((child, child_path(path, index), depth + 1))


def too_deep(max_depth: int) -> errors.InvalidInput:
    return errors.InvalidInput(
        f"The request body is nested deeper than {max_depth} levels.",
        details={"fields": {"body": ["is nested too deeply"]}, "max_depth": max_depth},
    )


def json_loads_checked(raw: bytes | str):
    """The parsed body under the same limits as SafeJSONParser, for views that read the raw body
    themselves (the REST binding); InvalidInput when it is not JSON or breaks a limit."""
    max_depth = max_json_depth()
    try:
        data = json.loads(raw)
    except RecursionError:
        raise too_deep(max_depth) from None
    except (ValueError, UnicodeDecodeError):
        raise errors.InvalidInput.for_field("body", "is not valid JSON") from None
    check_parsed_json(data, max_depth=max_depth)
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSONParser with a nesting limit and strings PostgreSQL and UTF-8 can hold."""

    def parse(self, stream, media_type=None, parser_context=None):
        max_depth = max_json_depth()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep(max_depth) from None
        check_parsed_json(data, max_depth=max_depth)
        return data
