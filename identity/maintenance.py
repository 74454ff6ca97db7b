"""Removal of expired codes and tokens (daily via Celery beat, or `manage.py purge_expired`)."""

import logging
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import (
    clear_expired,
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from identity.models import ConsumedCode, SignInCode

logger = logging.getLogger(__name__)

# A replayed code is recognised (and what it produced revoked) for this long after its exchange.
CONSUMED_CODE_RETENTION = timedelta(days=1)


def purge_expired() -> dict:
    """Deletes expired authorization codes, expired or long-revoked tokens (DOT's own
    clear_expired, which honours REFRESH_TOKEN_EXPIRE_SECONDS), used or expired sign-in codes
    and old consumed-code records. Returns what remained before and after, per kind."""
    models = {
        "grants": get_grant_model(),
        "access_tokens": get_access_token_model(),
        "refresh_tokens": get_refresh_token_model(),
    }
    before = {name: model.objects.count() for name, model in models.items()}
    clear_expired()
    counts = {name: before[name] - model.objects.count() for name, model in models.items()}

    now = timezone.now()
    counts["sign_in_codes"], _ = SignInCode.objects.filter(expires_at__lte=now).delete()
    counts["consumed_codes"], _ = ConsumedCode.objects.filter(
        consumed_at__lte=now - CONSUMED_CODE_RETENTION
    ).delete()
    logger.info("Purged expired identity data", extra={"purged": counts})
    return counts
