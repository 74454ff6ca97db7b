"""Webhooks (design.md §7): per-platform config, the transactional outbox, fan-out, delivery with
retries and auto-pause, redelivery, the sweeper and the test send.

Other apps report what happened with `event_emit` (or `checkout_event_emit`), inside the
transaction of the change: the event row commits with it or not at all, and the fan-out task is
queued only once it has committed.
"""

import json
import logging
import random
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orgconfig.audit import audit_record
from orgconfig.models import Org
from orgconfig.selectors import org_settings
from platforms.models import Platform
from ucp import errors
from ucp.revisions import update_if_revision
from webhooks import sender
from webhooks.events import EVENT_TYPES, TEST_EVENT_TYPE, is_order_event, validate_event_filters
from webhooks.models import (
    DeliverySource,
    DeliveryStatus,
    UcpVersion,
    WebhookAttempt,
    WebhookConfig,
    WebhookDelivery,
    WebhookEvent,
)
from webhooks.signing import new_signing_secret
from webhooks.targets import callback_url_validate

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:webhooks"
UNSET = object()


def retry_window() -> timedelta:
    return timedelta(seconds=settings.UCP_WEBHOOK_RETRY_WINDOW_SECONDS)


# --- Outbox -----------------------------------------------------------------------------------


def event_emit(*, org: Org, event_type: str, payload: dict, platform: Platform | None = None):
    """Writes an outbox event; call it inside the transaction of the change it reports.

    The fan-out task is queued when that transaction commits (never if it rolls back); should the
    broker be down at that moment, the sweeper picks the event up later. `platform` limits the
    event to that platform (e.g. `identity.link.revoked`); otherwise every platform of the org
    whose filter matches gets it.
    """
    from webhooks.tasks import webhooks_fan_out

    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    event = WebhookEvent.objects.create(
        org=org, event_type=event_type, payload=payload, platform=platform
    )
    # Celery's delay_on_commit, made robust: if the broker is unreachable at commit time the
    # change stands (the caller's request succeeds) and the sweeper queues the event later.
    transaction.on_commit(lambda: webhooks_fan_out.delay(event.pk), robust=True)
    return event


def checkout_event_emit(*, session, event_type: str) -> WebhookEvent:
    """`checkout.completed` / `checkout.canceled` for a checkout session."""
    from orders.models import Order

    order_guid = (
        Order.objects.filter(checkout_session_id=session.pk).values_list("guid", flat=True).first()
    )
    payload = {
        "checkout_guid": str(session.guid),
        "platform_guid": str(session.platform.guid),
        "status": session.status,
        "currency": session.currency,
        "totals": session.totals,
        "scm_order_guid": str(order_guid) if order_guid else None,
    }
    return event_emit(org=session.org, event_type=event_type, payload=payload)


def ucp_block(version: str) -> dict:
    """The `ucp` member of an order webhook body, in the shape of the platform's version."""
    capability = "dev.ucp.shopping.order"
    if version == UcpVersion.V2026_01_11:
        return {"version": version, "capabilities": [{"name": capability, "version": version}]}
    return {"version": version, "capabilities": {capability: [{"version": version}]}}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# How platforms built on the 2026-01-11 sample server name the order events they receive.
SAMPLE_EVENT_NAMES = {
    "order.created": "order_placed",
    "order.updated": "order_updated",
    "order.shipped": "order_shipped",
    "order.delivered": "order_delivered",
    "order.canceled": "order_canceled",
}


def render_body(
    *, event: WebhookEvent, version: str, delivery_guid, sample_envelope: bool = False
) -> str:
    """The exact text a delivery sends on every attempt.

    UCP order webhooks are the flat, full order snapshot in the receiver's version (plus
    `event_id` and `created_time` for 2026-01-11, which has no webhook-id header); with
    `sample_envelope` (an org's compatibility switch for profile targets) that order is wrapped
    as `{event_type, checkout_id, order}`, as the 2026-01-11 sample server sent it. Other events
    use the Standard Webhooks payload shape `{type, timestamp, data}`.
    """
    from orders.snapshots import order_in_version

    if is_order_event(event.event_type):
        body = {"ucp": ucp_block(version), **order_in_version(event.payload, version)}
        if version == UcpVersion.V2026_01_11:
            body["event_id"] = str(delivery_guid)
            body["created_time"] = rfc3339(event.created_at)
        if sample_envelope:
            body = {
                "event_type": SAMPLE_EVENT_NAMES[event.event_type],
                "checkout_id": event.payload.get("checkout_id"),
                "order": body,
            }
    else:
        body = {
            "type": event.event_type,
            "timestamp": rfc3339(event.created_at),
            "data": event.payload,
        }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def subscribed_configs(event: WebhookEvent):
    configs = (
        WebhookConfig.objects.select_related("platform")
        .filter(org_id=event.org_id, enabled=True, platform__revoked_at__isnull=True)
        .exclude(callback_url="")
        .exclude(signing_secret="")
    )
    if event.platform_id:
        configs = configs.filter(platform_id=event.platform_id)
    return [config for config in configs if config.subscribes_to(event.event_type)]


def profile_target_of(event: WebhookEvent, configs: list[WebhookConfig]):
    """The order webhook URL the platform's UCP profile named for this order's checkout, unless
    the platform is revoked or its configured callback already receives the event there."""
    from checkout.rest.selectors import order_webhook_target

    if not is_order_event(event.event_type) or not event.payload.get("checkout_id"):
        return None
    target = order_webhook_target(org_id=event.org_id, checkout_guid=event.payload["checkout_id"])
    if target is None:
        return None
    if any(c.platform_id == target.platform_id and c.callback_url == target.url for c in configs):
        return None
    if Platform.objects.filter(pk=target.platform_id, revoked_at__isnull=False).exists():
        return None
    return target


@transaction.atomic
def event_fan_out(*, event_id: int) -> list[int]:
    """Creates the event's deliveries, once: one per subscribed platform of the event's org, and
    for an order event one to the webhook URL of the platform profile its checkout was created
    with (UCP's own way of asking for order webhooks).

    The event row is locked and `fanned_out_at` checked, so a re-queued duplicate finds the work
    done. Paused platforms get their deliveries too; they are held until resumed.
    """
    event = (
        WebhookEvent.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk=event_id, fanned_out_at__isnull=True)
        .first()
    )
    if event is None:
        return []

    now = timezone.now()
    deliveries = []
    configs = subscribed_configs(event)
    for config in configs:
        delivery = WebhookDelivery(
            org_id=event.org_id,
            event=event,
            platform=config.platform,
            event_type=event.event_type,
            next_attempt_at=now,
            retry_until=now + retry_window(),
        )
        delivery.body = render_body(
            event=event, version=config.ucp_version, delivery_guid=delivery.guid
        )
        deliveries.append(delivery)

    target = profile_target_of(event, configs)
    if target is not None:
        delivery = WebhookDelivery(
            org_id=event.org_id,
            event=event,
            platform_id=target.platform_id,
            event_type=event.event_type,
            source=DeliverySource.PROFILE,
            target_url=target.url,
            ucp_version=target.version,
            next_attempt_at=now,
            retry_until=now + retry_window(),
        )
        delivery.body = render_body(
            event=event,
            version=target.version,
            delivery_guid=delivery.guid,
            sample_envelope=target.sample_envelope,
        )
        deliveries.append(delivery)

    WebhookDelivery.objects.bulk_create(deliveries)
    event.fanned_out_at = now
    event.save(update_fields=["fanned_out_at"])

    for delivery in deliveries:
        schedule_attempt(delivery_id=delivery.pk, attempt_count=0, delay=0)
    logger.info(
        "Webhook event fanned out",
        extra={"event": str(event.guid), "event_type": event.event_type, "count": len(deliveries)},
    )
    return [d.pk for d in deliveries]


# --- Delivery ---------------------------------------------------------------------------------


def schedule_attempt(*, delivery_id: int, attempt_count: int, delay: float) -> None:
    """Queues the next attempt once the current transaction commits.

    A wait longer than the broker's visibility timeout allows is reached in hops (the task finds
    the delivery not yet due and schedules the rest). In eager mode (no broker) a future attempt is
    left to the sweeper: running it inline would retry at once, in the caller's request.
    """
    from webhooks.tasks import webhooks_deliver

    if settings.CELERY_TASK_ALWAYS_EAGER and delay > 0:
        return
    countdown = max(0.0, min(delay, settings.UCP_WEBHOOK_MAX_COUNTDOWN_SECONDS))
    transaction.on_commit(
        lambda: webhooks_deliver.apply_async((delivery_id, attempt_count), countdown=countdown),
        robust=True,
    )


def backoff_delay(attempt_number: int) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random, so retries of many
    deliveries that failed together spread out instead of arriving in waves."""
    step = min(
        settings.UCP_WEBHOOK_RETRY_MAX_DELAY_SECONDS,
        settings.UCP_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt_number - 1),
    )
    return step / 2 + random.uniform(0, step / 2)


def next_outcome(result: sender.SendResult, *, delivery: WebhookDelivery, now) -> tuple[str, float]:
    """('succeeded' | 'retry' | 'failed', delay before the retry)."""
    if result.succeeded:
        return "succeeded", 0.0
    if not result.retryable or delivery.is_test:
        return "failed", 0.0

    delay = backoff_delay(delivery.attempt_count + 1)
    if result.retry_after is not None:
        delay = result.retry_after
    if now + timedelta(seconds=delay) > delivery.retry_until:
        return "failed", 0.0
    return "retry", delay


def attempt_record(*, delivery, result: sender.SendResult, started_at, outcome: str):
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count,
        url=result.url[:2000],
        started_at=started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        error=result.error[:300],
        response_body=result.response_body,
        outcome=outcome,
    )


def config_record_success(config: WebhookConfig) -> None:
    WebhookConfig.objects.filter(pk=config.pk, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def config_record_failure(config: WebhookConfig) -> None:
    """Counts a failed delivery; at the configured number in a row the platform is paused."""
    WebhookConfig.objects.filter(pk=config.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = WebhookConfig.objects.values_list("consecutive_failures", flat=True).get(
        pk=config.pk
    )
    if failures >= settings.UCP_WEBHOOK_PAUSE_AFTER_FAILURES:
        reason = f"{failures} deliveries in a row failed"
        paused = WebhookConfig.objects.filter(pk=config.pk, paused_at__isnull=True).update(
            paused_at=timezone.now(), pause_reason=reason
        )
        if paused:
            audit_record(
                org=config.org,
                actor=SYSTEM_ACTOR,
                action="webhook.config.paused",
                target_type="platform",
                target_id=str(config.platform.guid),
                after={"reason": reason},
            )
            logger.warning(
                "Webhooks paused", extra={"platform": str(config.platform.guid), "reason": reason}
            )


def held_for(delivery: WebhookDelivery, config: WebhookConfig) -> bool:
    """An admin who disables a platform's webhooks stops all of them; a pause (failures at the
    configured callback) holds only what goes to that callback."""
    if not config.enabled:
        return True
    return delivery.source == DeliverySource.CONFIG and config.is_paused


def delivery_attempt(*, delivery_id: int, expected_attempts: int | None = None) -> str:
    """Makes the next attempt of a due delivery and decides what follows.

    The delivery row stays locked through the HTTP call, so a duplicate task (a re-queue by the
    sweeper) skips it instead of sending twice; a task carrying a stale attempt count is dropped.
    If the worker dies mid-call, the transaction rolls back, the delivery is still pending and
    due, and the sweeper queues it again: the receiver may see the same webhook-id twice, never
    zero times.
    """
    with transaction.atomic():
        # Lock the delivery row only: a plain FOR UPDATE over the join would also lock the org
        # and platform rows, which every concurrent insert referencing them (an outbox event, a
        # delivery) key-share locks, and skip_locked would then skip a due delivery.
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
            .select_related("org", "platform")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return "skipped"
        if expected_attempts is not None and delivery.attempt_count != expected_attempts:
            return "stale"

        now = timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            wait = (delivery.next_attempt_at - now).total_seconds()
            schedule_attempt(
                delivery_id=delivery.pk, attempt_count=delivery.attempt_count, delay=wait
            )
            return "not-due"

        config = (
            WebhookConfig.objects.select_related("org", "platform")
            .filter(platform_id=delivery.platform_id)
            .first()
        )
        from_config = delivery.source == DeliverySource.CONFIG
        if delivery.platform.revoked_at is not None or (from_config and config is None):
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "the platform was revoked"
            delivery.completed_at = now
            delivery.save(update_fields=["status", "last_error", "completed_at"])
            return "failed"
        if not delivery.is_test and config is not None and held_for(delivery, config):
            delivery.status = DeliveryStatus.HELD
            delivery.save(update_fields=["status"])
            return "held"

        result = sender.send(delivery=delivery, config=config)
        outcome, delay = next_outcome(result, delivery=delivery, now=timezone.now())

        delivery.attempt_count += 1
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error[:300]
        attempt_record(delivery=delivery, result=result, started_at=now, outcome=outcome)
        if outcome == "retry":
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            schedule_attempt(
                delivery_id=delivery.pk, attempt_count=delivery.attempt_count, delay=delay
            )
        else:
            delivery.status = outcome
            delivery.next_attempt_at = None
            delivery.completed_at = timezone.now()
        delivery.save()

        # Only the configured callback's record pauses the platform: a profile URL is the
        # platform's own, chosen per checkout, and its failures say nothing about the other.
        if not delivery.is_test and from_config:
            if outcome == "succeeded":
                config_record_success(config)
            elif outcome == "failed":
                config_record_failure(config)

    logger.info(
        "Webhook attempt",
        extra={
            "delivery": str(delivery.guid),
            "attempt": delivery.attempt_count,
            "status_code": result.status_code,
            "outcome": outcome,
            "duration_ms": result.duration_ms,
        },
    )
    return outcome


def delivery_requeue(delivery: WebhookDelivery) -> None:
    """Makes a delivery pending and due now, with a fresh retry window; queued on commit."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        retry_until=now + retry_window(),
        completed_at=None,
    )
    schedule_attempt(delivery_id=delivery.pk, attempt_count=delivery.attempt_count, delay=0)


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor: str) -> WebhookDelivery:
    """Sends a delivery again, same webhook-id and bytes (admin action, `retry_webhooks`)."""
    delivery = WebhookDelivery.objects.select_for_update(no_key=True).get(pk=delivery.pk)
    if delivery.is_test:
        raise errors.InvalidState("A test delivery is not redelivered; send a new test.")
    before = {"status": delivery.status}
    delivery_requeue(delivery)
    delivery.refresh_from_db()

    audit_record(
        org=delivery.org,
        actor=actor,
        action="webhook.delivery.redeliver",
        target_type="webhook_delivery",
        target_id=str(delivery.guid),
        before=before,
        after={"status": delivery.status},
    )
    return delivery


def held_deliveries_release(*, platform_id: int) -> int:
    held = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True, no_key=True).filter(
            platform_id=platform_id, status=DeliveryStatus.HELD
        )
    )
    for delivery in held:
        delivery_requeue(delivery)
    return len(held)


def webhooks_sweep() -> dict:
    """Queues what should have run by now: events never fanned out and pending deliveries well
    past due (a task lost to a broker outage or a killed worker), and releases deliveries held
    for platforms that are active again. Run by Celery beat and by `retry_webhooks`."""
    from webhooks.tasks import webhooks_deliver, webhooks_fan_out

    cutoff = timezone.now() - timedelta(seconds=settings.UCP_WEBHOOK_SWEEP_GRACE_SECONDS)
    batch = settings.UCP_WEBHOOK_SWEEP_BATCH

    event_ids = list(
        WebhookEvent.objects.filter(fanned_out_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for event_id in event_ids:
        webhooks_fan_out.delay(event_id)

    overdue = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", "attempt_count")[:batch]
    )
    for delivery_id, attempt_count in overdue:
        webhooks_deliver.delay(delivery_id, attempt_count)

    released = 0
    active_platforms = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.HELD,
            platform__webhook_config__enabled=True,
            platform__webhook_config__paused_at__isnull=True,
        )
        .values_list("platform_id", flat=True)
        .distinct()
    )
    for platform_id in list(active_platforms):
        with transaction.atomic():
            released += held_deliveries_release(platform_id=platform_id)

    counts = {"events": len(event_ids), "deliveries": len(overdue), "released": released}
    if any(counts.values()):
        logger.info("Webhook sweep re-queued work", extra=counts)
    return counts


# --- Config -------------------------------------------------------------------------------------


def config_get_or_create(*, platform: Platform) -> WebhookConfig:
    """The platform's config; a fresh one starts from the platform's registered callback URL.
    It has no signing secret yet, so nothing is delivered until an admin sets it once."""
    config, _ = WebhookConfig.objects.select_related("platform", "org").get_or_create(
        platform=platform, defaults={"org": platform.org, "callback_url": platform.callback_url}
    )
    return config


def config_public(config: WebhookConfig) -> dict:
    """What an admin may see (and the audit trail may keep): never the secrets."""
    return {
        "callback_url": config.callback_url,
        "enabled": config.enabled,
        "event_filters": list(config.event_filters),
        "ucp_version": config.ucp_version,
        "paused": config.is_paused,
    }


def config_set(
    *,
    config: WebhookConfig,
    expected_revision: int,
    actor: str,
    callback_url=UNSET,
    enabled=UNSET,
    event_filters=UNSET,
    ucp_version=UNSET,
    rotate_secret: bool = False,
) -> tuple[WebhookConfig, str | None]:
    """Changes the fields given, at `expected_revision`. Returns the config and the new signing
    secret when one was created (first callback URL) or rotated, else None.

    Sending `enabled: true` also resumes paused webhooks; deliveries held meanwhile are sent.
    """
    fields = {}
    if callback_url is not UNSET:
        fields["callback_url"] = callback_url_validate(callback_url) if callback_url else ""
    if event_filters is not UNSET:
        fields["event_filters"] = validate_event_filters(event_filters)
    if ucp_version is not UNSET:
        fields["ucp_version"] = ucp_version
    now = timezone.now()
    if enabled is not UNSET:
        fields["enabled"] = enabled
        if enabled and config.is_paused:
            fields.update(paused_at=None, pause_reason="", consecutive_failures=0)

    new_secret = None
    will_have_url = fields.get("callback_url", config.callback_url)
    if rotate_secret or (will_have_url and not config.signing_secret):
        new_secret = new_signing_secret()
        fields.update(signing_secret=new_secret, signing_secret_created_at=now)
        if config.signing_secret:
            grace = org_settings(org=config.org).secret_rotation_grace
            fields.update(
                previous_signing_secret=config.signing_secret,
                previous_secret_valid_until=now + grace,
            )

    before = config_public(config)
    with transaction.atomic():
        update_if_revision(config, expected_revision=expected_revision, updated_at=now, **fields)
        if config.enabled and not config.is_paused:
            held_deliveries_release(platform_id=config.platform_id)
        audit_record(
            org=config.org,
            actor=actor,
            action="webhook.config.set",
            target_type="platform",
            target_id=str(config.platform.guid),
            before=before,
            after={**config_public(config), "signing_secret_issued": new_secret is not None},
        )
    return config, new_secret


@transaction.atomic
def config_resume(*, config: WebhookConfig, actor: str) -> WebhookConfig:
    """Resumes paused webhooks (admin action); held deliveries are sent."""
    WebhookConfig.objects.filter(pk=config.pk).update(
        paused_at=None,
        pause_reason="",
        consecutive_failures=0,
        revision=F("revision") + 1,
        updated_at=timezone.now(),
    )
    config.refresh_from_db()
    if config.enabled:
        held_deliveries_release(platform_id=config.platform_id)
    audit_record(
        org=config.org,
        actor=actor,
        action="webhook.config.resumed",
        target_type="platform",
        target_id=str(config.platform.guid),
        after=config_public(config),
    )
    return config


# --- Test send ----------------------------------------------------------------------------------


def webhook_test_send(*, config: WebhookConfig, actor: str) -> WebhookDelivery:
    """Sends one `webhook.test` delivery now, through the same signing, SSRF checks, client and
    records as every delivery; no retries, and it never counts toward pausing."""
    if not config.callback_url or not config.signing_secret:
        raise errors.InvalidState("Set a callback_url with /ucp/webhook/config/set first.")

    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            org=config.org,
            event_type=TEST_EVENT_TYPE,
            platform=config.platform,
            payload={
                "platform_guid": str(config.platform.guid),
                "message": "This is a test webhook from ucp.",
            },
            fanned_out_at=now,
        )
        delivery = WebhookDelivery(
            org=config.org,
            event=event,
            platform=config.platform,
            event_type=TEST_EVENT_TYPE,
            is_test=True,
            next_attempt_at=now,
            retry_until=now,
        )
        delivery.body = render_body(
            event=event, version=config.ucp_version, delivery_guid=delivery.guid
        )
        delivery.save()
        audit_record(
            org=config.org,
            actor=actor,
            action="webhook.test",
            target_type="platform",
            target_id=str(config.platform.guid),
            after={"delivery": str(delivery.guid)},
        )

    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery
