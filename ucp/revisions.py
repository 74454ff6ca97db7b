"""Optimistic concurrency for revisioned records (design.md §4).

A write names the revision it read. The check and the write are one conditional UPDATE, so of two
writers holding the same revision exactly one wins and the other gets 409 with the current value.
"""

from django.db.models import F, Model

from ucp import errors


def parse_expected_revision(value) -> int:
    if value is None:
        raise errors.ExpectedRevisionRequired()
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.InvalidInput.for_field("expected_revision", "must be a positive integer")
    return value


def update_if_revision(instance: Model, *, expected_revision: int, **fields) -> int:
    """Writes `fields` and bumps the revision only if the row still has `expected_revision`.

    Returns the new revision and refreshes `instance`. Raises RevisionMismatch otherwise.
    """
    model = type(instance)
    updated = model.objects.filter(pk=instance.pk, revision=expected_revision).update(
        revision=F("revision") + 1, **fields
    )
    if not updated:
        current = model.objects.filter(pk=instance.pk).values_list("revision", flat=True).first()
        raise errors.RevisionMismatch(
            current_revision=current or 0, expected_revision=expected_revision
        )

    instance.refresh_from_db()
    return instance.revision
