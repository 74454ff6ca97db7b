"""Validation of responses against the official UCP JSON schemas in ../shared/ucp-spec/<version>/.

Each release gets its own referencing registry (both releases use the same `$id`s), built from
every schema file of that release at test time.
"""

import json
from functools import cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.conftest import SHARED_DIR

SPEC_DIR = SHARED_DIR / "ucp-spec"


@cache
def registry(version: str) -> Registry:
    resources = []
    root = SPEC_DIR / version
    for path in sorted(root.rglob("*.json")):
        document = json.loads(path.read_text())
        if isinstance(document, dict) and document.get("$id"):
            resource = Resource.from_contents(document)
            resources.append((document["$id"], resource))
            # discovery/profile_schema.json has the $id .../schemas/discovery/profile.json but
            # refers to "../schemas/ucp.json" as if it lived at the top: alias every file under
            # that base too so those references resolve.
            relative = path.relative_to(root).as_posix()
            resources.append((f"https://ucp.dev/schemas/{relative}", resource))
    assert resources, f"no schemas for {version} under {SPEC_DIR}"
    return Registry().with_resources(resources)


def validator(version: str, schema: str) -> Draft202012Validator:
    uri = f"https://ucp.dev/schemas/{schema}"
    contents = registry(version).contents(uri)
    return Draft202012Validator(contents, registry=registry(version))


def assert_valid(version: str, schema: str, instance) -> None:
    problems = sorted(validator(version, schema).iter_errors(instance), key=lambda e: e.path)
    assert not problems, "\n".join(
        f"{'/'.join(map(str, p.absolute_path))}: {p.message}" for p in problems[:10]
    )
