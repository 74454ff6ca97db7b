"""Request context for log lines: every record logged while a request is served carries its
request id, org, platform and route, so JSON logs can be filtered per request. Celery tasks get
the same treatment: lines logged while a task runs carry `task_id` and `task`."""

import contextvars
import logging

from celery.signals import task_postrun, task_prerun

request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "request_context", default=None
)


def bind_request_context(**fields) -> None:
    """Add fields to the context of the request being served (and of its log lines)."""
    request_context.set({**(request_context.get() or {}), **fields})


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (request_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


@task_prerun.connect(weak=False)
def bind_task_context(task_id=None, task=None, **_):
    request_context.set({"task_id": task_id, "task": getattr(task, "name", None)})


@task_postrun.connect(weak=False)
def clear_task_context(**_):
    request_context.set(None)
