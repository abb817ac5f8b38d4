"""Django settings. Everything that differs between machines comes from the environment.

``DATABASE_URL`` chooses the database: a SQLite file by default (``var/ssj.sqlite3`` in WAL
mode), ``postgres://user:pass@host:port/name`` for PostgreSQL. The code and migrations are
the same on both.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from shuangsuiji.common.env import ConfigError, envbool, envint, envlist, envstr

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(envstr("SSJ_HOME", str(Path.cwd()))).resolve()
VAR_DIR = Path(envstr("SSJ_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = envbool("SSJ_DEBUG", False)
PRODUCTION = envbool("SSJ_PRODUCTION", False)
_secret = envstr("SSJ_SECRET_KEY", "")
if not _secret:
    if PRODUCTION:
        raise ConfigError("生产环境必须设置 SSJ_SECRET_KEY")
    # A fixed key is safe only for a local run or a test: production refuses to start without one.
    _secret = "insecure-local-development-key-change-me-0123456789abcdef"
SECRET_KEY = _secret
ALLOWED_HOSTS = envlist("SSJ_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("SSJ_CSRF_TRUSTED_ORIGINS", [])
# Addresses of the reverse proxies in front of the server (nginx on the same host:
# 127.0.0.1). From these only, X-Forwarded-For names the client — used by the rate limit
# of the public objection form; a header from anyone else is ignored.
TRUSTED_PROXIES = envlist("SSJ_TRUSTED_PROXIES", [])
SITE_URL = envstr("SSJ_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Mail for 站内消息 (notices/services.py): off unless a mail server is configured, either as
# SSJ_EMAIL_URL (smtp://user:password@host:587?tls=1, smtps://… for SSL, console:// to print)
# or Django's usual EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS.
DEFAULT_FROM_EMAIL = envstr("SSJ_EMAIL_FROM", "双随机、一公开监管平台 <noreply@localhost>")
_email_url = envstr("SSJ_EMAIL_URL", "")
NOTICE_EMAIL = False
if _email_url:
    from urllib.parse import parse_qs, unquote, urlsplit

    _mail = urlsplit(_email_url)
    if _mail.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _mail.scheme == "file":  # file:///var/mail/ssj — one file per message (testing)
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = unquote(_mail.path)
    elif _mail.scheme in ("smtp", "smtps"):
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _mail.hostname or "localhost"
        EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
        EMAIL_HOST_USER = unquote(_mail.username or "")
        EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
        EMAIL_USE_SSL = _mail.scheme == "smtps"
        EMAIL_USE_TLS = parse_qs(_mail.query).get("tls", ["0"])[0] in ("1", "true", "yes")
        EMAIL_TIMEOUT = 20
    else:
        raise ConfigError(
            f"SSJ_EMAIL_URL 的协议无法识别：{_mail.scheme}（应为 smtp、smtps、console 或 file）"
        )
    NOTICE_EMAIL = True
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = envint("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = 20
    NOTICE_EMAIL = True

if PRODUCTION:
    # Production refuses what would make it unsafe, by name, before serving anything (issue 11).
    if DEBUG:
        raise ConfigError(
            "生产模式（SSJ_PRODUCTION=true）不能同时开启 SSJ_DEBUG：调试页面会泄露配置与数据"
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or "insecure" in SECRET_KEY:
        raise ConfigError(
            "SSJ_SECRET_KEY 太弱：应为至少 50 个随机字符"
            '（生成：python3 -c "import secrets;print(secrets.token_urlsafe(50))"）'
        )
    if "*" in ALLOWED_HOSTS:
        raise ConfigError("生产模式下 SSJ_ALLOWED_HOSTS 不能为 *：请写明本系统的域名")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # django-axes and django-tasks-db under Chinese names in 系统管理 (third_party.py).
    "shuangsuiji.third_party.AxesConfig",
    # The task queue: a table of this database, run by `ssj worker` (issue 11 item 7).
    "django_tasks",
    "shuangsuiji.third_party.TasksDatabaseConfig",
    "shuangsuiji.common",
    "shuangsuiji.audit",
    "shuangsuiji.accounts",
    "shuangsuiji.notices",
    "shuangsuiji.imports",
    "shuangsuiji.workdays",
    "shuangsuiji.catalog",
    "shuangsuiji.registry",
    "shuangsuiji.planning",
    "shuangsuiji.draw",
    "shuangsuiji.inspection",
    "shuangsuiji.disclosure",
    "shuangsuiji.documents",
    "shuangsuiji.licences",
    "shuangsuiji.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL, control and text-direction characters are refused before any view sees them
    # (after authentication, so the refusal page shows the user's own menu).
    "shuangsuiji.common.middleware.InputHygieneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Service errors (NotFound, NotAllowed, Conflict …) become pages here, once.
    "shuangsuiji.common.middleware.ServiceErrorMiddleware",
    # Numbers beyond 64 bits → 404; a locked, read-only or absent database → 503 (not 500).
    "shuangsuiji.common.middleware.UnavailableMiddleware",
    # Lockout after repeated failed logins (django-axes); must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shuangsuiji.urls"
WSGI_APPLICATION = "shuangsuiji.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuangsuiji.accounts.context_processors.roles",
                "shuangsuiji.common.todo.context",
                "shuangsuiji.notices.context.unread",
                "shuangsuiji.disclosure.context_processors.site",
            ],
            # |percent, |cn_date, |cn_datetime in every template (issue 16 第 3 项).
            "builtins": ["shuangsuiji.common.templatetags.formatting"],
        },
    },
]

_default_sqlite = VAR_DIR / "ssj.sqlite3"
# Lower case: Django takes every upper-case name (even _X) as a setting and its debug page
# lists them; this one holds the database password.
_database_url = envstr("DATABASE_URL", f"sqlite:///{_default_sqlite}")
# In production each worker thread keeps its PostgreSQL connection between requests: a new
# connection forks a server process, ~10 ms of CPU per request — more than the public result
# page itself (benchmarks/results.py, docs/benchmarks.md). The health check drops a kept
# connection the server has closed (restart, failover) instead of failing the request.
_conn_max_age = 60 if PRODUCTION and _database_url.startswith("postgres") else 0
_db = dj_database_url.parse(
    _database_url,
    conn_max_age=envint("SSJ_DB_CONN_MAX_AGE", _conn_max_age),
    conn_health_checks=True,
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one import writes; the busy timeout makes a second
    # writer wait for the lock instead of failing at once.
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        # cache_size: 64 MB per connection (a ceiling, filled as needed). The 2 MB default
        # spills index pages during a large draw's bulk inserts (50,000 selections, 100,000
        # assignments, their counters and visits); measured on benchmarks/draw.py.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536;"
        ),
    }
    # Tests use a real file in WAL mode, like production: the in-memory shared-cache
    # database Django uses by default table-locks when a background thread (an import
    # job) writes while the live server reads. One file per process so runs can overlap.
    _db["TEST"] = {
        "NAME": envstr("SSJ_TEST_SQLITE", "") or str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
    }
elif _db["ENGINE"] not in {"django.db.backends.postgresql"}:
    raise ConfigError(
        f"DATABASE_URL 仅支持 sqlite:// 或 postgres://，实际为 {_database_url.split(':', 1)[0]}://…"
    )
DATABASES = {"default": _db}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if envbool("SSJ_FAST_PASSWORD_HASHER", False):
    # Tests only: the default PBKDF2 costs ~0.3 s per login on this machine.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# 登录失败锁定：同一账号连续失败 5 次锁定 15 分钟 (django-axes)。
AXES_FAILURE_LIMIT = envint("SSJ_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("SSJ_LOGIN_COOLOFF_MINUTES", 15))
# Locked per account *and* address: a stranger failing as "admin" locks only his own
# address out of "admin", never the real admin (ssj manage axes_reset_username NAME unlocks
# early). Spraying one password over many names is the address throttle's
# (LOGIN_ADDRESS_FAILURE_LIMIT, accounts/views.py). Addresses: common/http.py.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "shuangsuiji.common.http.client_address"
LOGIN_ADDRESS_FAILURE_LIMIT = envint("SSJ_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_LOCKOUT_CALLABLE = "shuangsuiji.accounts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = envbool("SSJ_AXES_ENABLED", True)

LANGUAGE_CODE = "zh-hans"
# The one language of the platform: a browser asking for English (Accept-Language, read by
# LocaleMiddleware) still gets Chinese pages, the admin included.
LANGUAGES = [("zh-hans", "简体中文")]
# Chinese for the third-party apps that ship none (django-axes, django-tasks-db).
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The project-wide assets (CSS, htmx served locally for intranet deployments) live beside
# settings.py, not inside an app, so the finders must be told where.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
# The var/ tree holds the SQLite file, uploads and collected static files; make it on start.
for _d in (VAR_DIR, STATIC_ROOT):
    _d.mkdir(parents=True, exist_ok=True)
UPLOAD_DIR = VAR_DIR / "uploads"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Background work (imports, large record PDFs) goes through django-tasks with its database
# backend: a job survives a restart of the web server and runs in `ssj worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMPORT_MAX_UPLOAD_BYTES = envint("SSJ_IMPORT_MAX_UPLOAD_MB", 512) * 1024 * 1024
# 证据材料 (检查中形成的文字和音像记录 [002 第三十条]): size limit per kind, in MB.
EVIDENCE_MAX_MB = {
    "photo": envint("SSJ_EVIDENCE_PHOTO_MAX_MB", 20),
    "video": envint("SSJ_EVIDENCE_VIDEO_MAX_MB", 500),
    "audio": envint("SSJ_EVIDENCE_AUDIO_MAX_MB", 100),
    "document": envint("SSJ_EVIDENCE_DOCUMENT_MAX_MB", 50),
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SSJ_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_SECURE = envbool("SSJ_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS in production (docs/deployment.md): HSTS for a year, and HTTP redirected to HTTPS —
# SSJ_SSL_REDIRECT=false when nginx already redirects; SSJ_PROXY_SSL_HEADER=true when nginx
# terminates TLS and sets X-Forwarded-Proto (otherwise every request looks like HTTP).
SECURE_HSTS_SECONDS = envint("SSJ_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SSJ_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("SSJ_HSTS_PRELOAD", PRODUCTION)
SECURE_SSL_REDIRECT = envbool("SSJ_SSL_REDIRECT", PRODUCTION)
if envbool("SSJ_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content security policy (django-csp): scripts only from this site, none inline; inline
# style attributes are still used by the templates. Sent in every mode, so the browser tests
# see what production sees.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "shuangsuiji.common.masking.MaskPersonalNumbersFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal"]},
    },
    "root": {"handlers": ["console"], "level": envstr("SSJ_LOG_LEVEL", "WARNING")},
}

# What an imported file may hold before any reader touches it (imports/tabular.py ReadLimits;
# issue 11): a file over a limit is refused with the limit named. Spreadsheets are read in a
# child process capped at IMPORT_READER_MEMORY_MB, so no file can take a web worker down.
IMPORT_MAX_ROWS = envint("SSJ_IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_COLUMNS = envint("SSJ_IMPORT_MAX_COLUMNS", 200)
IMPORT_MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
IMPORT_MAX_UNCOMPRESSED_MB = envint("SSJ_IMPORT_MAX_UNCOMPRESSED_MB", 2048)
IMPORT_MAX_COMPRESSION_RATIO = 100
IMPORT_READER_MEMORY_MB = envint("SSJ_IMPORT_READER_MEMORY_MB", 3072)
# SQLite only (imports/staging.py): a large import is validated first and then written in
# transactions of at most this long, with a pause between them in which a waiting login or
# save takes the write lock (issue 11: logins ≤ 3 s during a million-row import).
IMPORT_SQLITE_COMMIT_SECONDS = envint("SSJ_IMPORT_SQLITE_COMMIT_MS", 200) / 1000
IMPORT_SQLITE_PAUSE_MS = envint("SSJ_IMPORT_SQLITE_PAUSE_MS", 100)
