"""Townsquare settings: one module, every deploy knob from the environment.

Defaults run on one machine with no services: SQLite in WAL mode, an in-process
cache, email to the console. A site that outgrows one machine sets DATABASE_URL
(PostgreSQL) and REDIS_URL (Redis) and runs more processes.
"""

import hashlib
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DATA_DIR = Path(env.str("TOWNSQUARE_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A per-installation key kept in the data folder, so a fresh checkout is safe."""
    path = DATA_DIR / "secret_key"
    try:
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()
    except OSError as error:  # a sentence for the operator, not a traceback
        raise SystemExit(f"The data folder {DATA_DIR} is not writable ({error.strerror}): "
                         "Townsquare keeps its key there unless SECRET_KEY is set. Make it "
                         "writable, or point TOWNSQUARE_DATA_DIR at a folder that is.") from None


DEBUG = env.bool("DEBUG", default=False)
# Without SECRET_KEY each data folder makes its own key: fine on one machine, refused by
# `townsquare serve` and `worker` with a shared database (townsquare/core/startup.py).
SECRET_KEY_GIVEN = bool(env.str("SECRET_KEY", default=""))
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = env.str("SITE_NAME", default="Townsquare")
# The site's public origin, for links in emails (sent by the worker, outside any request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "townsquare.core",
    "townsquare.accounts",
    "townsquare.forum",
    "townsquare.reactions",
    "townsquare.live",
    "townsquare.dumps",
    "townsquare.uploads",
    "townsquare.drafts",
    "townsquare.newsdesk",
    "townsquare.newsletter",
    "townsquare.notifications",
    "townsquare.pages",
    "townsquare.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "townsquare.accounts.middleware.MemberMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "townsquare.core.middleware.ActionErrorMiddleware",
]

# The benchmark adds its ceiling view with ROOT_URLCONF=bench.urls.
ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "townsquare.pages.header.site",
            ],
            "builtins": ["townsquare.core.templatetags.townsquare"],
        },
    },
]

# Database: SQLite (WAL) by default, anything dj-database-url style via DATABASE_URL.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "townsquare.sqlite3",
            # Keep each worker thread's connection: opening one (and its PRAGMAs) per
            # request cost more than most pages' queries.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE makes writers queue for the lock at BEGIN instead of
                # failing mid-transaction; WAL lets readers go on while one writes.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# After Redis fails to answer, every Redis client of the process leaves it alone this long,
# then one call probes it (townsquare/core/breaker.py).
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=1.0)
if REDIS_URL:
    # The key's digest is part of the prefix: cached pages hold holes tagged by SECRET_KEY
    # (core/shell.py), so a new key must not read pieces cached under the old one.
    _prefix = (env.str("CACHE_KEY_PREFIX", default="ts") + "-"
               + hashlib.sha256(SECRET_KEY.encode()).hexdigest()[:8])
    # A Redis outage makes the cache forget, not the site fail (townsquare/core/cache.py).
    CACHES = {
        "default": {"BACKEND": "townsquare.core.cache.TolerantRedisCache",
                    "LOCATION": REDIS_URL, "KEY_PREFIX": _prefix},
        "pages": {"BACKEND": "townsquare.core.cache.TolerantRedisCache",
                  "LOCATION": REDIS_URL, "KEY_PREFIX": f"{_prefix}-pages"},
    }
else:
    # In-process caches are per worker, so their size is bounded by entries: small parts
    # (post HTML ~2 KB, topic rows, member links) in "default", whole guest pages (~35 KB)
    # in "pages". Member page shells and ready posts are kept by core/memo.py instead.
    CACHES = {
        "default": {"BACKEND": "townsquare.core.cache.LocalCache",
                    "LOCATION": "parts", "OPTIONS": {"MAX_ENTRIES": 10000}},
        "pages": {"BACKEND": "townsquare.core.cache.LocalCache",
                  "LOCATION": "pages", "OPTIONS": {"MAX_ENTRIES": 1000}},
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# `townsquare worker` runs the queued tasks and, every WORKER_TICK_SECONDS, these functions,
# which queue whatever periodic work is due.
# What a write sets off in the apps built on the writer's (core/hooks.py), in order.
WRITE_HOOKS = {
    # A post written or edited (with the mentions it adds): notify who should hear of it.
    "post_written": ["townsquare.notifications.actions.notify_new_post"],
}
WORKER_TICKS = ["townsquare.newsdesk.schedule.tick", "townsquare.newsletter.schedule.tick",
                "townsquare.notifications.schedule.tick", "townsquare.dumps.schedule.tick",
                "townsquare.live.schedule.tick"]
WORKER_TICK_SECONDS = env.float("WORKER_TICK_SECONDS", default=15.0)
# What /health/ and `townsquare status` check after the database (townsquare/core/health.py).
HEALTH_CHECKS = ["townsquare.core.health.check_migrations", "townsquare.core.health.check_cache",
                 "townsquare.live.health.check_event_log", "townsquare.core.health.check_worker",
                 "townsquare.core.health.check_queue"]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = ["townsquare.accounts.backends.MemberBackend"]
SESSION_ENGINE = "townsquare.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from `X-Forwarded-Proto` (meaning https) or `Name=value`."""
    if not value:
        return None
    name, _, expected = (part.strip() for part in value.partition("="))
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ValueError(f"SECURE_PROXY_SSL_HEADER must be a header name, not {value!r}")
    return "HTTP_" + name.upper().replace("-", "_"), expected or "https"


# Behind HTTPS (SECURE_COOKIES) browsers are told to keep to HTTPS for a year (HSTS, sent on
# HTTPS requests only). Plain HTTP is redirected only once the proxy says which requests came
# over HTTPS: without that header every request looks plain and the redirect would loop.
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env.str("SECURE_PROXY_SSL_HEADER", default=""))
SECURE_SSL_REDIRECT = env.bool(
    "SECURE_SSL_REDIRECT", default=SESSION_COOKIE_SECURE and bool(SECURE_PROXY_SSL_HEADER))
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}



def _mailer(url: str) -> dict:
    """A MAILERS entry from EMAIL_URL: console://, file:///dir, locmem://, smtp(s)://..."""
    parts = urlsplit(url)
    scheme = parts.scheme.removesuffix("mail")
    backends = "django.core.mail.backends."
    if scheme in ("console", "locmem", "dummy"):
        return {"BACKEND": f"{backends}{scheme}.EmailBackend"}
    if scheme == "file":
        return {"BACKEND": f"{backends}filebased.EmailBackend",
                "OPTIONS": {"file_path": unquote(parts.path)}}
    if scheme in ("smtp", "smtps", "submission"):
        query = dict(parse_qsl(parts.query))
        return {"BACKEND": f"{backends}smtp.EmailBackend", "OPTIONS": {
            "host": parts.hostname or "localhost",
            "port": parts.port or {"smtps": 465, "submission": 587}.get(scheme, 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": scheme == "smtps",
            "use_tls": scheme == "submission" or query.get("tls", "").lower() in ("1", "true"),
            "timeout": 20,
        }}
    raise ValueError(f"EMAIL_URL scheme {parts.scheme!r} is not supported")


MAILERS = {"default": _mailer(env.str("EMAIL_URL", default="console://"))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Townsquare <noreply@localhost>")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"


def _media_storage(url: str) -> dict:
    """STORAGES["default"] from MEDIA_STORAGE_URL: local files in the data folder by default,
    file:///path for a folder every instance shares (an NFS mount, say), or s3://bucket?options
    for an S3-compatible bucket (django-storages, `pip install townsquare[s3]`; credentials
    from the usual AWS_* variables)."""
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if parts.scheme == "file":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": _shared_folder(parts)}}
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("MEDIA_STORAGE_URL must look like s3://bucket?endpoint_url=... "
                         "or file:///path/to/a/shared/folder")
    query = dict(parse_qsl(parts.query))
    known = {"endpoint_url": "endpoint_url", "region": "region_name",
             "custom_domain": "custom_domain", "location": "location"}
    if unknown := sorted(set(query) - set(known)):
        raise ValueError(f"MEDIA_STORAGE_URL has unknown options: {', '.join(unknown)}")
    options = {"bucket_name": parts.netloc, "file_overwrite": False, "querystring_auth": False}
    options.update({known[name]: value for name, value in query.items() if value})
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def _shared_folder(parts) -> str:
    """The folder of a file:///path MEDIA_STORAGE_URL, which must exist: a missing one is a
    typo or a share that is not mounted, and each instance would fill a folder of its own."""
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost") or parts.query or not path.startswith("/"):
        raise ValueError("MEDIA_STORAGE_URL must name a folder by its absolute path, "
                         f"like file:///srv/townsquare-media, not {parts.geturl()!r}")
    if not Path(path).is_dir():
        raise ValueError(f"MEDIA_STORAGE_URL names {path}, which is not a folder on this "
                         "machine: create or mount it first")
    return path


_MEDIA_STORAGE_URL = env.str("MEDIA_STORAGE_URL", default="")
STORAGES = {
    "default": _media_storage(_MEDIA_STORAGE_URL),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Local files live in the data folder, unless MEDIA_STORAGE_URL names a shared folder.
MEDIA_ROOT = (Path(STORAGES["default"]["OPTIONS"]["location"])
              if urlsplit(_MEDIA_STORAGE_URL).scheme == "file" else DATA_DIR / "media")
WHITENOISE_MAX_AGE = 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Forum knobs.
POSTS_PER_PAGE = 20
TOPICS_PER_PAGE = 30
POST_MAX_CHARS = env.int("POST_MAX_CHARS", default=50_000)
TITLE_MAX_CHARS = 200
# The live event stream (townsquare/live/stream.py), served by its own ASGI process.
# LIVE_STREAM_URL is the origin pages connect to for /live/...: `townsquare serve` sets it to
# the stream port's; behind a front proxy that routes /live/ to the stream process, the site's
# own origin. Unset, pages don't connect (no live updates; reloading works as always).
LIVE_STREAM_URL = env.str("LIVE_STREAM_URL", default="").rstrip("/")
# The site's rules for the stream: who may read it, how an event reads for each reader.
LIVE_READERS = "townsquare.pages.stream"
LIVE_ALLOWED_ORIGINS = env.list("LIVE_ALLOWED_ORIGINS", default=[
    "http://127.0.0.1:8000", "http://localhost:8000"])
LIVE_HEARTBEAT = env.float("LIVE_HEARTBEAT", default=15.0)
LIVE_MAX_AGE = env.float("LIVE_MAX_AGE", default=1800.0)
LIVE_QUEUE_SIZE = 256
LIVE_REPLAY_LIMIT = 200
LIVE_POLL_SECONDS = env.float("LIVE_POLL_SECONDS", default=0.2)


def _host_port(name: str, value: str) -> str:
    """`value` if it is empty, host:port or [IPv6 address]:port; else a clear error at start."""
    found = re.fullmatch(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})", value)
    if value and not (found and 0 < int(found[1]) < 65536):
        raise ValueError(f"{name} must be host:port, not {value!r}")
    return value


# Where whoever adds an event to the database log nudges the stream process to read it at once
# (townsquare/live/wake.py): host:port of the UDP socket it listens on. `townsquare serve` sets
# 127.0.0.1 and the stream's port number; unset, the stream process finds events by its poll.
LIVE_WAKE_ADDRESS = _host_port("LIVE_WAKE_ADDRESS", env.str("LIVE_WAKE_ADDRESS", default=""))
LIVE_LOG_LENGTH = 20_000
# Where the live event log and presence live in Redis (when REDIS_URL is set).
LIVE_REDIS_PREFIX = env.str("LIVE_REDIS_PREFIX", default="townsquare:live")
# Events older than this are pruned (a reader away longer is asked to reload).
LIVE_EVENT_KEEP_SECONDS = env.int("LIVE_EVENT_KEEP_SECONDS", default=3600)
# How often a stream process vouches for its readers' presence and checks for expired ones;
# it prunes the event log every LIVE_PRUNE_EVERY such rounds (the worker's clock queues a
# prune when none has run for that long: townsquare/live/schedule.py).
LIVE_PRESENCE_SECONDS = env.float("LIVE_PRESENCE_SECONDS", default=30.0)
LIVE_PRUNE_EVERY = 10
if LIVE_STREAM_URL:
    SECURE_CSP["connect-src"] = ["'self'", LIVE_STREAM_URL]

# How long an author may edit their post (moderators always may), and mentions per post.
POST_EDIT_WINDOW = env.int("POST_EDIT_WINDOW", default=24 * 3600)
MENTIONS_MAX_PER_POST = env.int("MENTIONS_MAX_PER_POST", default=20)
PRESENCE_WINDOW_SECONDS = 15 * 60
GUEST_PAGE_CACHE_SECONDS = env.int("GUEST_PAGE_CACHE_SECONDS", default=60)
RATE_LIMITS = {
    # action: (max events, per seconds)
    "post": env.tuple("RATE_LIMIT_POST", cast=int, default=(10, 60)),
    "react": env.tuple("RATE_LIMIT_REACT", cast=int, default=(60, 60)),
    # Sign-in counts failures only: a few per account (a success clears them), and many
    # more per address, so that one person's typos never lock out others behind it.
    "signin_account": env.tuple("RATE_LIMIT_SIGNIN_ACCOUNT", cast=int, default=(5, 300)),
    "signin_address": env.tuple("RATE_LIMIT_SIGNIN_ADDRESS", cast=int, default=(50, 900)),
    "register": env.tuple("RATE_LIMIT_REGISTER", cast=int, default=(5, 3600)),
    "password_reset": env.tuple("RATE_LIMIT_PASSWORD_RESET", cast=int, default=(5, 3600)),
    "upload": env.tuple("RATE_LIMIT_UPLOAD", cast=int, default=(30, 600)),
    "draft": env.tuple("RATE_LIMIT_DRAFT", cast=int, default=(60, 60)),
    "typing": env.tuple("RATE_LIMIT_TYPING", cast=int, default=(12, 60)),
    "subscribe": env.tuple("RATE_LIMIT_SUBSCRIBE", cast=int, default=(5, 3600)),
}
# Proxies (addresses or networks) whose X-Forwarded-For names the client: rate limits count
# by the first untrusted address from its right end. None by default: the peer's address.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Images members upload: verified by decoding, re-encoded as WebP without metadata.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=8 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
UPLOAD_MAX_SIDE = env.int("UPLOAD_MAX_SIDE", default=12_000)
UPLOAD_MAX_PER_POST = env.int("UPLOAD_MAX_PER_POST", default=10)
UPLOAD_DISPLAY_WIDTH = 1600
UPLOAD_THUMBNAIL_WIDTH = 320
# Django reads request bodies up to this before a view sees them (the image plus the form).
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

# The news desk: sources polled by the worker, fetched without ever reaching a private address.
NEWS_DESK_USERNAME = env.str("NEWS_DESK_USERNAME", default="newsdesk")
NEWS_FETCH_TIMEOUT = env.float("NEWS_FETCH_TIMEOUT", default=10.0)
NEWS_FETCH_MAX_BYTES = env.int("NEWS_FETCH_MAX_BYTES", default=5 * 1024 * 1024)
NEWS_FETCH_MAX_REDIRECTS = 5
# Private, loopback and link-local addresses are refused unless an operator allows them
# (a source on the local network; the tests' local feed server).
NEWS_FETCH_ALLOW_PRIVATE = env.bool("NEWS_FETCH_ALLOW_PRIVATE", default=False)
NEWS_MIN_POLL_MINUTES = 5

# The newsletter: double opt-in subscriptions and daily or weekly digests sent by the worker.
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=200)
NEWSLETTER_DIGEST_TOPICS = 10
# Digests go out at this UTC hour: daily ones every day, weekly ones on NEWSLETTER_WEEKLY_DAY
# (0 = Monday).
NEWSLETTER_SEND_HOUR = env.int("NEWSLETTER_SEND_HOUR", default=7)
NEWSLETTER_WEEKLY_DAY = env.int("NEWSLETTER_WEEKLY_DAY", default=0)
NEWSLETTER_CONFIRM_DAYS = 7
# A digest delivery still marked "sending" after this long is taken as abandoned by a worker
# that died, and is sent again by the next one.
NEWSLETTER_STALL_SECONDS = env.int("NEWSLETTER_STALL_SECONDS", default=300)

# Community: reputation, recommended replies, notifications.
# Reputation is the sum of reactions a member's posts received, each kind weighted.
REPUTATION_WEIGHTS = {"like": 1, "thanks": 1, "haha": 1, "love": 1, "confused": 0, "sad": 0}
# A topic with at least this many replies shows its most-reacted ones under the opening post.
RECOMMENDED_MIN_REPLIES = env.int("RECOMMENDED_MIN_REPLIES", default=10)
RECOMMENDED_MAX = 3
RECOMMENDED_MIN_REACTIONS = 2
AVATAR_SIZES = (256, 64)
# Notification emails wait this long (a member who sees it on the site first gets none) and
# daily summaries go out at NOTIFY_DAILY_HOUR (UTC).
NOTIFY_EMAIL_DELAY_SECONDS = env.int("NOTIFY_EMAIL_DELAY_SECONDS", default=300)
NOTIFY_DAILY_HOUR = env.int("NOTIFY_DAILY_HOUR", default=8)

# Scheduled backups (townsquare/dumps/schedule.py): with BACKUP_DIR set, the worker takes a
# `townsquare backup` into it every day at BACKUP_HOUR (UTC) and keeps the newest BACKUP_KEEP
# of those it took (backups taken by hand are never deleted).
BACKUP_DIR = env.str("BACKUP_DIR", default="")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=7)
BACKUP_HOUR = env.int("BACKUP_HOUR", default=3)
