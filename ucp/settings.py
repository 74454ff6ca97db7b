"""Settings for the ucp service, read from the environment (12-factor).

With no environment at all the service runs on a SQLite file, runs Celery tasks eagerly in-process
and caches in local memory, so `manage.py runserver` works on a fresh machine. Production and CI set
DATABASE_URL (PostgreSQL) and REDIS_URL (cache and Celery broker).
"""

import time
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The development key below is public. check_deploy refuses to pass while it is in use.
DEV_SECRET_KEY = "ucp-development-only-secret-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
# Old keys, comma-separated, after a rotation: sessions and the secrets encrypted at rest
# (ucp/fields.py) made with them still read until `manage.py reencrypt_secrets` has run.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# django-fernet-encrypted-fields derives its Fernet keys from SECRET_KEY with this salt. Not a
# secret; changing it is a rotation like SECRET_KEY's (list the new salt first, then the old).
SALT_KEY = env.list("UCP_FIELD_ENCRYPTION_SALT", default=["ucp-secrets-at-rest-v1"])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "django_celery_beat",
    "ucp",
    "orgconfig",
    "catalog",
    "platforms",
    "identity",
    "checkout",
    "checkout.rest",
    "orders",
    "webhooks",
]

MIDDLEWARE = [
    "ucp.api.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the console's and the API docs' static files under gunicorn (no CDN, no nginx).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ucp.urls"
WSGI_APPLICATION = "ucp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Reuse a worker's database connection across requests (opening one costs more than most of our
# requests); health checks drop a connection the server closed. `?conn_max_age=` in DATABASE_URL
# overrides it; 0 closes the connection after every request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="ucp"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run eagerly in the calling process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Redis redelivers an unacknowledged task after this long; countdowns must stay below it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_BEAT_SCHEDULE = {
    "identity-purge-expired": {
        "task": "identity.tasks.purge_expired",
        "schedule": crontab(hour=3, minute=17),
    },
    "checkout-cancel-expired": {
        "task": "checkout.tasks.cancel_expired_checkouts",
        "schedule": 60.0,
    },
    "idempotency-purge-expired": {
        "task": "ucp.tasks.purge_expired_idempotency_records",
        "schedule": 3600.0,
    },
}
# Workers log through LOGGING below (JSON lines with the task's id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Passwords use Django's default slow hasher. Machine-generated secrets (platform client secrets)
# carry 256 bits of entropy, so a fast salted hash is as safe for them and keeps every platform
# call from spending 100+ ms in PBKDF2; see ucp/hashers.py.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "ucp.hashers.MachineSecretHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Without collectstatic (runserver, tests) WhiteNoise finds files in the apps, like runserver.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ucp@localhost")

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["ucp.api.envelope.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ucp.api.parsers.SafeJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "ucp.api.errors.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ucp.api.schema.SeedAutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ucp",
    "DESCRIPTION": "Universal Commerce Protocol business server: seed RPC routes under /ucp.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ucp.api.schema.envelope_hook",
    ],
    "COMPONENT_SPLIT_REQUEST": False,
    "SORT_OPERATIONS": False,
}

# django-oauth-toolkit. Platforms are OAuth applications; customers link through identity/.
# Tokens are stored as SHA-256 checksums only (RFC 9700 token storage), codes likewise (identity's
# validator). The `iss` DOT adds is replaced by the org's issuer in identity/views.py.
OAUTH2_PROVIDER = {
    "CLIENT_SECRET_HASHER": "ucp_machine_secret",
    "OAUTH2_VALIDATOR_CLASS": "identity.oauth_validator.UcpOAuth2Validator",
    "SCOPES": {
        "dev.ucp.shopping.checkout:manage": "Manage checkouts",
        "dev.ucp.shopping.order:read": "Read orders",
        "dev.ucp.shopping.order:manage": "Manage orders",
        "ucp:scopes:checkout_session": "Manage checkout sessions (earlier protocol version)",
        "profile": "Name",
        "email": "Email address",
        "phone": "Phone number",
        "address": "Saved addresses",
    },
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_REFRESH_TOKEN_SECONDS", default=30 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}
# Identity linking (identity/). Codes an admin issues through the seed route live longer than
# browser codes: a person hands them to the platform.
UCP_ADMIN_AUTH_CODE_SECONDS = env.int("UCP_ADMIN_AUTH_CODE_SECONDS", default=600)
UCP_SIGN_IN_CODE_SECONDS = env.int("UCP_SIGN_IN_CODE_SECONDS", default=600)
# Per client (django-ratelimit on the shared cache) on the token and revocation endpoints.
UCP_OAUTH_TOKEN_RATE = env.str("UCP_OAUTH_TOKEN_RATE", default="60/m")
UCP_OAUTH_TOKEN_RETRY_AFTER_SECONDS = 60
# A refresh token superseded less than this long ago gets invalid_grant without revoking its
# family: that is a concurrent duplicate of the winning refresh, not a stolen token's replay.
UCP_REFRESH_RACE_WINDOW_SECONDS = env.int("UCP_REFRESH_RACE_WINDOW_SECONDS", default=5)
RATELIMIT_USE_CACHE = "default"
# POST and PUT calls of the standard REST binding, per org and platform (checkout/rest/throttle.py);
# empty turns the limit off.
UCP_REST_RATE = env.str("UCP_REST_RATE", default="1200/m")

# Build identity, reported in every envelope. Deployments set UCP_BUILD_ID at build time; the
# default is derived from the moment this process started, in the same WEEKDAY-unixtime form.
_started = int(time.time())
UCP_BUILD_ID = env.str(
    "UCP_BUILD_ID", default=f"{time.strftime('%A', time.gmtime(_started)).upper()}-{_started}"
)
UCP_BUILD_MAJOR = env.str("UCP_BUILD_MAJOR", default="1")
UCP_BUILD_MINOR = env.str("UCP_BUILD_MINOR", default="0")
UCP_API_VERSION = "1"
UCP_SERVICE_NAME = "ucp"

# Signs pagination tokens; separate salt per purpose keeps tokens from being reused elsewhere.
UCP_PAGE_SIZE_DEFAULT = 8
UCP_PAGE_SIZE_MAX = 256

UCP_SECRET_ROTATION_GRACE = timedelta(hours=env.int("UCP_SECRET_ROTATION_GRACE_HOURS", default=24))
UCP_CHECKOUT_TTL = timedelta(hours=env.int("UCP_CHECKOUT_TTL_HOURS", default=6))
# Idempotency keys are kept at least this long (design.md §4), and a request still in progress
# after UCP_IDEMPOTENCY_LOCK_SECONDS is presumed dead so that a retry may run it again.
UCP_IDEMPOTENCY_TTL = timedelta(hours=env.int("UCP_IDEMPOTENCY_TTL_HOURS", default=24))
UCP_IDEMPOTENCY_LOCK_SECONDS = env.int("UCP_IDEMPOTENCY_LOCK_SECONDS", default=60)
UCP_IDEMPOTENCY_WAIT_SECONDS = env.float("UCP_IDEMPOTENCY_WAIT_SECONDS", default=5.0)
UCP_WEBHOOK_ALLOW_PRIVATE = env.bool("UCP_WEBHOOK_ALLOW_PRIVATE", default=False)
# Platform profiles named in UCP-Agent may sit on private/loopback hosts and plain HTTP
# (development, the conformance suite); off in production.
UCP_AGENT_PROFILE_ALLOW_PRIVATE = env.bool(
    "UCP_AGENT_PROFILE_ALLOW_PRIVATE", default=UCP_WEBHOOK_ALLOW_PRIVATE
)
UCP_DEFAULT_ORGCODE = env.str("UCP_DEFAULT_ORGCODE", default="DEMO")
UCP_PUBLIC_BASE_URL = env.str("UCP_PUBLIC_BASE_URL", default="")
# Request bodies larger than this are refused before parsing (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("UCP_MAX_BODY_BYTES", default=1024 * 1024)
# JSON bodies nested deeper than this are refused before any view sees them (ucp/api/parsers.py).
UCP_MAX_JSON_DEPTH = env.int("UCP_MAX_JSON_DEPTH", default=32)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "ucp.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "plain") else "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# Platforms are DOT applications; the models stay DOT's own unless identity/ swaps them.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

# Webhooks (webhooks/, design.md §7). Every knob is an environment variable so that tests and
# benchmarks can shrink the delays for a real worker without patching code.
# (UCP_WEBHOOK_ALLOW_PRIVATE, above, lets callback URLs reach private and loopback addresses.)
UCP_WEBHOOK_CONNECT_TIMEOUT = env.float("UCP_WEBHOOK_CONNECT_TIMEOUT", default=3.0)
UCP_WEBHOOK_READ_TIMEOUT = env.float("UCP_WEBHOOK_READ_TIMEOUT", default=10.0)
# Backoff: base * 2^(attempt-1), capped, with jitter; retries stop after the window (~3 days).
UCP_WEBHOOK_RETRY_BASE_SECONDS = env.float("UCP_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
UCP_WEBHOOK_RETRY_MAX_DELAY_SECONDS = env.float(
    "UCP_WEBHOOK_RETRY_MAX_DELAY_SECONDS", default=3600.0
)
UCP_WEBHOOK_RETRY_WINDOW_SECONDS = env.float(
    "UCP_WEBHOOK_RETRY_WINDOW_SECONDS", default=3 * 24 * 3600.0
)
# Pause a platform's webhooks after this many deliveries in a row end failed.
UCP_WEBHOOK_PAUSE_AFTER_FAILURES = env.int("UCP_WEBHOOK_PAUSE_AFTER_FAILURES", default=10)
# The sweeper re-queues events and deliveries this much past due (a lost task, a broker outage).
UCP_WEBHOOK_SWEEP_INTERVAL_SECONDS = env.float("UCP_WEBHOOK_SWEEP_INTERVAL_SECONDS", default=60.0)
UCP_WEBHOOK_SWEEP_GRACE_SECONDS = env.float("UCP_WEBHOOK_SWEEP_GRACE_SECONDS", default=300.0)
UCP_WEBHOOK_SWEEP_BATCH = env.int("UCP_WEBHOOK_SWEEP_BATCH", default=1000)
UCP_WEBHOOK_TEST_RATE = env.str("UCP_WEBHOOK_TEST_RATE", default="5/m")
UCP_WEBHOOK_RESPONSE_BODY_LIMIT = env.int("UCP_WEBHOOK_RESPONSE_BODY_LIMIT", default=1024)
# A Celery countdown longer than the Redis visibility timeout would get the task delivered twice;
# longer waits (a large Retry-After) are reached in hops of at most this.
UCP_WEBHOOK_MAX_COUNTDOWN_SECONDS = min(
    UCP_WEBHOOK_RETRY_MAX_DELAY_SECONDS,
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 2,
)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {
    "task": "webhooks.tasks.webhooks_sweep",
    "schedule": UCP_WEBHOOK_SWEEP_INTERVAL_SECONDS,
}
