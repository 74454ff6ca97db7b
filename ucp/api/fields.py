"""Serializer fields stricter than DRF's defaults, for a JSON API that must not guess."""

from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """Accepts only JSON integers: DRF's IntegerField would also take "2", 2.0 and true."""

    default_error_messages = {"invalid": "must be a whole number (a JSON integer)"}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
