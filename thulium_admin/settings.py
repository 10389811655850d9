"""Settings for the campaign dashboard. Every deployment difference comes from the environment.

Variables are read from the process environment, and from a `.env` file beside manage.py when
one exists (the environment wins). README.md lists every variable with its default.
"""

import json
import os
import secrets
from datetime import timedelta
from os import environ
from pathlib import Path
from typing import TypedDict

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)


def env_bool(name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string (see README.md), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"


def local_audit_key(path: Path) -> str:
    """This install's own audit key, for local development only: made on the first start and
    kept in `path` beside .env, never a constant that anyone could re-key a log with. Created
    whole or not at all (a temporary file linked into place), so the web process and the task
    worker starting together agree on one key."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    try:
        path.hardlink_to(temporary)
    except FileExistsError:
        pass  # another process made it first: its key is the install's
    finally:
        temporary.unlink()
    return path.read_text(encoding="ascii").strip()


# The audit log's chain is keyed with this (HMAC-SHA256). It is never stored in the database,
# so whoever can write the database cannot forge entries; keep it apart from SECRET_KEY.
AUDIT_KEY = environ.get("AUDIT_KEY", "")
# Set when AUDIT_KEY is this install's generated development key (DEBUG only): where it is kept.
AUDIT_KEY_FILE: Path | None = None
if not AUDIT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_KEY is not set. Set it to a long random string kept outside the database "
            "(see README.md, Audit log), or set DEBUG=1 for local development."
        )
    AUDIT_KEY_FILE = BASE_DIR / ".env.audit-key"
    AUDIT_KEY = local_audit_key(AUDIT_KEY_FILE)
# Thulium systems' API passwords (and any other credential kept in the database) are sealed
# with Fernet under this key; it never enters the database. Several keys, comma-separated: the
# first seals, every one opens (rotation: put the new key first, run
# `manage.py thulium_system rekey`, then drop the old one). Unset: no password can be kept in
# the database (systems from the environment still work). Under DEBUG a development key is made
# beside .env, as for AUDIT_KEY.
CONNECTIONS_KEY = env_list("CONNECTIONS_KEY", "")
CONNECTIONS_KEY_FILE: Path | None = None
if not CONNECTIONS_KEY and DEBUG:
    CONNECTIONS_KEY_FILE = BASE_DIR / ".env.connections-key"
    CONNECTIONS_KEY = [local_audit_key(CONNECTIONS_KEY_FILE)]
# The do-not-contact list keeps keyed hashes (HMAC-SHA256 under this key) of numbers, never the
# numbers: whoever reads the database cannot tell which numbers are on it. Changing the key makes
# the list unreadable (docs/privacy.md). Unset: the list cannot be used; under DEBUG a development
# key is made beside .env, as for AUDIT_KEY.
DO_NOT_CONTACT_KEY = environ.get("DO_NOT_CONTACT_KEY", "")
DO_NOT_CONTACT_KEY_FILE: Path | None = None
if not DO_NOT_CONTACT_KEY and DEBUG:
    DO_NOT_CONTACT_KEY_FILE = BASE_DIR / ".env.do-not-contact-key"
    DO_NOT_CONTACT_KEY = local_audit_key(DO_NOT_CONTACT_KEY_FILE)
# verify_audit records the log's head here on each run, and checks the log against the head it
# recorded before: keep the file where the database's users cannot write it. Unset: not
# recorded (verify_audit and `check --deploy` warn).
AUDIT_HEAD_FILE: Path | None = (
    Path(environ["AUDIT_HEAD_FILE"]) if environ.get("AUDIT_HEAD_FILE", "").strip() else None
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "import_export",
    "django_tasks_db",
    "axes",
    # In INSTALLED_APPS so its docs page serves Swagger UI from its own static files, never a CDN.
    "ninja",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "campaigns.middleware.UserLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thulium_admin.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "thulium_admin.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env_float("DATABASE_CONN_MAX_AGE", 60)),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the task worker write at the same time: WAL lets readers go on while
    # one writes, IMMEDIATE takes the write lock up front instead of failing halfway.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too: an in-memory database shared between threads locks whole tables,
    # which is not how the product runs.
    # Beside the database, so checkouts (or runs) with their own DATABASE_URL never share one.
    _sqlite_name = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {
        "NAME": str(_sqlite_name.with_name(f"test-{_sqlite_name.name}"))
    }
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Roles given in one Thulium system or campaign (campaigns/access.py).
    "campaigns.access.GrantBackend",
]
# Password guessing (campaigns/logins.py): after LOGIN_FAILURE_LIMIT failures for one user name
# from one address, that pair waits LOGIN_LOCKOUT_MINUTES; after LOGIN_ADDRESS_FAILURE_LIMIT
# failures from one address, whatever the names, the address does. The address is the
# client's, read from X-Forwarded-For behind TRUSTED_PROXY_COUNT proxies (0: REMOTE_ADDR).
TRUSTED_PROXY_COUNT = int(env_float("TRUSTED_PROXY_COUNT", 0))
LOGIN_FAILURE_LIMIT = int(env_float("LOGIN_FAILURE_LIMIT", 5))
LOGIN_ADDRESS_FAILURE_LIMIT = int(env_float("LOGIN_ADDRESS_FAILURE_LIMIT", 20))
AXES_CLIENT_IP_CALLABLE = "campaigns.logins.client_address"
AXES_FAILURE_LIMIT = "campaigns.logins.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "campaigns.views.accounts.locked_out"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "campaigns:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = environ.get("LANGUAGE_CODE", "pl")
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as our users write them: 24.12.2026 09:30 in Polish, 24/12/2026 09:30 in English.
FORMAT_MODULE_PATH = ["thulium_admin.formats"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Our own scripts and styles only: no inline script, no eval, nothing from other sites.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Production (DEBUG off) sends cookies over HTTPS only and asks browsers to keep to HTTPS.
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# htmx gets the CSRF token from the page (hx-headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(env_float("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Plain HTTP is redirected to HTTPS, except the health check a load balancer calls on its side.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Set by `make run` (the demo command) when it starts the Thulium sandbox: the demo accounts
# whose password is still the demo one, [[user name, password, role], ...], shown on the login
# page. Never set it in production.
DEMO_LOGINS = json.loads(environ.get("DEMO_LOGINS") or "[]")


class ThuliumSettings(TypedDict):
    """What THULIUM holds, for the type checker."""

    BASE_URL: str
    API_USER: str
    API_PASSWORD: str
    SYSTEM_NAME: str
    CONNECT_TIMEOUT: float
    READ_TIMEOUT: float
    CALL_DEADLINE: float
    PAGE_DEADLINE: float
    MAX_RETRIES: int
    RETRY_AFTER_CAP: float
    READ_CONCURRENCY: int


# How every Thulium system is spoken to (timeouts, retries), and the connection of the system
# "from the environment": an install that sets THULIUM_BASE_URL has it as a system (made on
# migrate), whose URL, user and password are read here and nowhere else, never stored in the
# database. Other systems are added with `manage.py thulium_system add` or in the admin.
THULIUM: ThuliumSettings = {
    "BASE_URL": environ.get("THULIUM_BASE_URL", ""),
    "API_USER": environ.get("THULIUM_API_USER", ""),
    "API_PASSWORD": environ.get("THULIUM_API_PASSWORD", ""),
    # The name the system from the environment gets when migrate makes it.
    "SYSTEM_NAME": environ.get("THULIUM_SYSTEM_NAME", ""),
    "CONNECT_TIMEOUT": env_float("THULIUM_CONNECT_TIMEOUT", 5.0),
    "READ_TIMEOUT": env_float("THULIUM_READ_TIMEOUT", 30.0),
    "CALL_DEADLINE": env_float("THULIUM_CALL_DEADLINE", 120.0),
    "PAGE_DEADLINE": env_float("THULIUM_PAGE_DEADLINE", 15.0),
    "MAX_RETRIES": int(env_float("THULIUM_MAX_RETRIES", 4)),
    # The longest wait Thulium's Retry-After is read as (seconds), however long it says: a
    # sending then waits that long with its worker free, and Cancel works meanwhile.
    "RETRY_AFTER_CAP": env_float("THULIUM_RETRY_AFTER_CAP", 300.0),
    # Pages of the record listing read at once (each is an independent GET of 100 records).
    "READ_CONCURRENCY": max(1, int(env_float("THULIUM_READ_CONCURRENCY", 4))),
}

# File intake limits: larger files are refused before they are parsed.
INTAKE_MAX_ROWS = int(env_float("INTAKE_MAX_ROWS", 200_000))
INTAKE_MAX_BYTES = int(env_float("INTAKE_MAX_MB", 50) * 1_000_000)
INTAKE_MAX_UNPACKED_BYTES = int(env_float("INTAKE_MAX_UNPACKED_MB", 500) * 1_000_000)
# A sheet's used area is checked before a reader builds it: at most this many columns, and at
# most this many cells (rows × columns) in all.
INTAKE_MAX_COLUMNS = int(env_float("INTAKE_MAX_COLUMNS", 200))
INTAKE_MAX_CELLS = int(env_float("INTAKE_MAX_CELLS", 5_000_000))
# Every upload is read in a child process (campaigns/intake/cage.py): what the reading may add to
# the process's memory, and how long it may take, before it is stopped with a message.
INTAKE_MAX_MEMORY_MB = env_float("INTAKE_MAX_MEMORY_MB", 768)
INTAKE_MAX_SECONDS = env_float("INTAKE_MAX_SECONDS", 60)
# The text a file may decode to in all (shared strings counted once per cell that uses them,
# ODS repeats multiplied out): as much as the largest CSV INTAKE_MAX_MB lets in.
INTAKE_MAX_CHARS = int(env_float("INTAKE_MAX_CHARS", 50_000_000))
# The mapping form has two fields a column; Django refuses a request with more fields than this.
DATA_UPLOAD_MAX_NUMBER_FIELDS = max(1000, 2 * INTAKE_MAX_COLUMNS + 100)

# Sending: rows per request, and how long a worker may hold a chunk before another may take over.
SUBMISSION_CHUNK_SIZE = int(env_float("SUBMISSION_CHUNK_SIZE", 500))
SUBMISSION_LEASE_SECONDS = env_float("SUBMISSION_LEASE_SECONDS", 300)
# How many tasks share one sending (each takes the next free chunk): at most the number of
# db_worker processes you run.
SUBMISSION_WORKERS = max(1, int(env_float("SUBMISSION_WORKERS", 1)))
# The first request of a sending carries at most this many rows, and is answered before the
# rest is sent: a cause Thulium refuses every row for costs these rows, not the file.
SUBMISSION_CANARY_ROWS = max(1, int(env_float("SUBMISSION_CANARY_ROWS", 20)))
# Requests a minute each API token may make (a sliding minute, counted in Django's cache).
API_RATE_PER_MINUTE = max(1, int(env_float("API_RATE_PER_MINUTE", 120)))
# A sending needs a review whose read of the campaign is at most this old (seconds); the
# sending then uses that read for the records' before-values.
SUBMISSION_REVIEW_MAX_AGE = env_float("SUBMISSION_REVIEW_MAX_AGE", 900)
# The campaign's listing, read in the background when a file is uploaded, stands for what
# Thulium holds for this long (seconds): the grid's first view is checked against it, and a
# review within it is shown without reading the campaign again (never longer than the
# review's own limit above).
LISTING_FRESH_SECONDS = min(
    SUBMISSION_REVIEW_MAX_AGE, max(0.0, env_float("LISTING_FRESH_SECONDS", 300))
)
# The campaign pages show Thulium's figures (the campaign list, a campaign's statuses and
# record counts) as last read, never waiting on Thulium; figures older than this (seconds) are
# read again in the background, the page saying how old the shown ones are.
CAMPAIGN_FIGURES_MAX_AGE_SECONDS = max(5.0, env_float("CAMPAIGN_FIGURES_MAX_AGE_SECONDS", 60))
# When Thulium cannot be reached (after the client's own retries), a sending waits and tries
# again by itself, with pauses growing from the first to the longest (seconds), for at most
# this many hours; only then are its remaining rows marked not sent.
SUBMISSION_OUTAGE_HOURS = env_float("SUBMISSION_OUTAGE_HOURS", 6)
SUBMISSION_OUTAGE_FIRST_PAUSE = max(0.1, env_float("SUBMISSION_OUTAGE_FIRST_PAUSE", 30))
SUBMISSION_OUTAGE_LONGEST_PAUSE = max(
    SUBMISSION_OUTAGE_FIRST_PAUSE, env_float("SUBMISSION_OUTAGE_LONGEST_PAUSE", 900)
)

# Personal data (row cells and values, outcomes' payloads, sent values, edit histories, audit
# details) is kept this many days after a grid's last sending or edit, then
# `manage.py purge_personal_data` erases it; a campaign may keep it longer (a legal hold).
RETENTION_DAYS = max(1, int(env_float("RETENTION_DAYS", 90)))

# The scheduler (`manage.py scheduler`): how often it looks for due jobs (seconds), how often it
# restarts sendings whose worker died (seconds), and when, in TIME_ZONE, the daily jobs run.
SCHEDULER_TICK_SECONDS = max(1.0, env_float("SCHEDULER_TICK_SECONDS", 15))
SCHEDULE_REAP_EVERY_SECONDS = max(10, int(env_float("SCHEDULE_REAP_EVERY_SECONDS", 60)))
SCHEDULE_VERIFY_AUDIT_AT = environ.get("SCHEDULE_VERIFY_AUDIT_AT", "02:30")
SCHEDULE_PURGE_AT = environ.get("SCHEDULE_PURGE_AT", "03:30")

# E-mail to the author when a sending ends (finished, paused or stopped), through Django's
# MAILERS: SMTP when EMAIL_HOST is set; else printed on the console under DEBUG (make run), and
# not sent at all in production (no MAILERS: nothing to send through).
if environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": environ["EMAIL_HOST"],
                "port": int(env_float("EMAIL_PORT", 25)),
                "username": environ.get("EMAIL_HOST_USER", ""),
                "password": environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": 10,
            },
        }
    }
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = environ.get("DEFAULT_FROM_EMAIL", "dashboard@localhost")
# The dashboard's address as people reach it, for links in e-mails (e.g. https://panel.example.pl).
SITE_URL = environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"urllib3": {"level": "WARNING"}},
}
