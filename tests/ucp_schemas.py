"""Validation against the official UCP JSON schemas, read from the shared folder at test time.

Each release's files are registered under their `$id` and under the URL their path implies,
because the 2026-01-11 files reference some schemas by path (`../services/service_schema.json`)
whose `$id` says otherwise. Every release gets its own registry: both use the same `$id`s.
"""

import json
from functools import cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import SHARED_DIR

UCP_SPEC_DIR = SHARED_DIR / "ucp-spec"
SCHEMA_BASE = "https://ucp.dev/"


@cache
def registry_for(version: str) -> Registry:
    root = UCP_SPEC_DIR / version
    assert root.is_dir(), f"UCP schemas for {version} not found at {root}"
    resources = []
    for path in sorted(root.rglob("*.json")):
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((SCHEMA_BASE + path.relative_to(root).as_posix(), resource))
        if isinstance(contents, dict) and contents.get("$id"):
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


def validator_for(version: str, schema_path: str, pointer: str = "") -> Draft202012Validator:
    """A validator for the schema at `schema_path` (relative to the release folder), or for the
    definition at the JSON pointer `pointer` inside it."""
    registry = registry_for(version)
    uri = SCHEMA_BASE + schema_path
    schema = {"$ref": f"{uri}#{pointer}"} if pointer else {"$ref": uri}
    return Draft202012Validator(schema, registry=registry)


def schema_errors(document: dict, version: str, schema_path: str, pointer: str = "") -> list:
    validator = validator_for(version, schema_path, pointer)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def business_profile_errors(document: dict, version: str) -> list:
    """Schema errors of a business profile of `version` (empty when it is valid)."""
    # 2026-01-11 has one profile schema; 2026-04-08 defines business and platform profiles.
    pointer = "" if version == "2026-01-11" else "/$defs/business_profile"
    return schema_errors(document, version, "discovery/profile_schema.json", pointer)


def assert_valid(version: str, schema: str, instance) -> None:
    """Asserts that `instance` is valid against `schemas/<schema>` of `version`."""
    errors = schema_errors(instance, version, f"schemas/{schema}")
    assert not errors, "\n".join(errors[:10])
