"""One structured access-log line per request, with the request's id, org, route and timing."""

import json
import logging

from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from ucp.logging import RequestContextFilter


def access_records(caplog):
    return [r for r in caplog.records if r.name == "ucp.access"]


def test_access_log_carries_request_context(caplog, admin, org):
    caplog.set_level(logging.INFO, logger="ucp.access")

    response = admin.post("platform/list", HTTP_X_REQUEST_ID="req-123")

    (record,) = access_records(caplog)
    assert response["X-Request-Id"] == "req-123"
    assert record.request_id == "req-123"
    assert record.org == org.orgcode
    assert record.route == "POST /ucp/platform/list"
    assert record.path == "/ucp/platform/list"
    assert record.status == 200
    assert isinstance(record.latency_ms, int)


def test_platform_calls_log_the_platform(caplog, as_platform, platform_credentials):
    caplog.set_level(logging.INFO, logger="ucp.access")

    as_platform.post("checkout/get", {"checkout_guid": "00000000-0000-0000-0000-000000000000"})

    (record,) = access_records(caplog)
    assert record.platform == str(platform_credentials["platform"].guid)
    assert record.status == 404


def test_json_formatter_renders_the_fields(caplog, admin, org):
    caplog.set_level(logging.INFO, logger="ucp.access")
    admin.post("platform/list")
    (record,) = access_records(caplog)
    formatter_config = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(
        formatter_config["fmt"], rename_fields=formatter_config["rename_fields"]
    )
    RequestContextFilter().filter(record)

    line = json.loads(formatter.format(record))

    assert line["level"] == "INFO"
    assert line["logger"] == "ucp.access"
    for field in ("request_id", "org", "route", "status", "latency_ms", "method", "path"):
        assert field in line, field


def test_task_log_lines_carry_the_task(caplog):
    from types import SimpleNamespace

    from celery.signals import task_postrun, task_prerun

    caplog.set_level(logging.INFO, logger="tests.ops")
    task_prerun.send(sender=None, task_id="task-1", task=SimpleNamespace(name="webhooks.deliver"))
    logging.getLogger("tests.ops").info("delivering")
    task_postrun.send(sender=None, task_id="task-1")
    logging.getLogger("tests.ops").info("after")

    during, after = caplog.records
    RequestContextFilter().filter(during)
    RequestContextFilter().filter(after)
    assert (during.task_id, during.task) == ("task-1", "webhooks.deliver")
    assert not hasattr(after, "task_id")
