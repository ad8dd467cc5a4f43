"""Settings, read once from the environment into a frozen object.

Every variable is documented in the README's configuration table. Tests build `Settings`
directly instead of touching the environment.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odrchat.safety.screening import ALWAYS_SCREENED, parse_kinds

log = logging.getLogger("odrchat.settings")


class SettingsError(Exception):
    """The environment does not describe a runnable server."""


class Secret(str):
    """A string that keeps itself out of reprs and logs."""

    def __repr__(self) -> str:
        return "Secret('**********')"


@dataclass(frozen=True, slots=True)
class Argon2Profile:
    """argon2id cost parameters (RFC 9106 section 4, second recommended option by default)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4
    hash_len: int = 32
    salt_len: int = 16


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """Where uploaded documents' bytes live, and the limits on uploads (README: Documents)."""

    store: str = "database"  # "database" (SQLite/PostgreSQL) or "s3"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # unset: AWS itself
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None  # unset: botocore's usual chain (AWS_*, instance role)
    s3_secret_access_key: Secret | None = None
    s3_prefix: str = ""
    presigned_downloads: bool = False
    max_bytes: int = 10 * 1024 * 1024  # one file, as uploaded
    user_quota_bytes: int = 200 * 1024 * 1024  # everything one person uploaded in one case
    case_quota_bytes: int = 1024 * 1024 * 1024  # everything stored for one case
    uploads_per_hour: int = 60  # per person


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """Where text messages go (README: Configuration). ``provider`` None: texts are off."""

    provider: str | None = None  # None, "twilio" or "webhook"
    sender: str | None = None  # SMS_FROM: the number texts come from (E.164)
    twilio_account_sid: str | None = None
    twilio_auth_token: Secret | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    webhook_url: str | None = None
    webhook_secret: Secret | None = None


PRODUCTION_ARGON2 = Argon2Profile()
# Cheap enough for a test suite that registers hundreds of users; never used outside tests.
TEST_ARGON2 = Argon2Profile(time_cost=1, memory_cost_kib=1024, parallelism=1)


SESSION_IDLE = timedelta(hours=12)  # a login session left unused this long ends


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server needs to know about its surroundings."""

    database_url: str = "sqlite:///./var/odrchat.sqlite3"
    redis_url: str | None = None
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str | None = None
    redis_sentinel_password: Secret | None = None
    secret_key: Secret = field(default_factory=lambda: Secret(secrets.token_urlsafe(32)))
    env: str = "development"
    public_url: str = "http://127.0.0.1:8000"
    allowed_origins: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: Secret | None = None
    smtp_from: str = "ODR Mediation <no-reply@localhost>"
    smtp_starttls: bool = True
    invitation_ttl: timedelta = timedelta(days=14)
    session_idle: timedelta = SESSION_IDLE
    session_absolute: timedelta = timedelta(days=7)
    retention: timedelta = timedelta(days=365 * 3)
    argon2: Argon2Profile = PRODUCTION_ARGON2
    hash_concurrency: int = 2
    run_migrations: bool = True
    outbox_enabled: bool = True
    documents: DocumentSettings = DocumentSettings()
    sms: SmsSettings = SmsSettings()
    metrics_token: Secret | None = None
    log_format: str = "text"
    ack_trace_ms: float | None = None
    centre_timezone: str = "America/Los_Angeles"  # printed times only; stored times stay UTC
    # Kinds of case whose parties answer the safety screening (civil harassment always).
    screening_kinds: frozenset[str] = ALWAYS_SCREENED

    @property
    def uses_redis(self) -> bool:
        """Whether Redis carries the broker and presence (required for several workers)."""
        return bool(self.redis_url or self.redis_sentinels)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def tz(self) -> ZoneInfo:
        """The centre's time zone, for the dates and times people and courts read."""
        return ZoneInfo(self.centre_timezone)

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def origins(self) -> frozenset[str]:
        """Origins allowed to open sockets and post forms: the public URL's plus the listed ones."""
        return frozenset((_origin_of(self.public_url), *self.allowed_origins))

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, var_dir: Path | None = None
    ) -> Settings:
        """Read the environment once; refuse what cannot work."""
        env = os.environ if environ is None else environ
        var = var_dir or Path("var")
        mode = env.get("ODRCHAT_ENV", "development")
        if mode not in ("development", "production"):
            raise SettingsError("ODRCHAT_ENV must be 'development' or 'production'")
        secret = env.get("SECRET_KEY")
        if not secret:
            if mode == "production":
                raise SettingsError("SECRET_KEY must be set when ODRCHAT_ENV=production")
            secret = _development_secret(var)
        elif len(secret) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters")
        public_url = env.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        if urlsplit(public_url).scheme not in ("http", "https"):
            raise SettingsError("PUBLIC_URL must start with http:// or https://")
        origins = tuple(
            _origin_of(o.strip()) for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        smtp_password = env.get("SMTP_PASSWORD")
        sentinels, sentinel_master, sentinel_password = _sentinels(env)
        metrics_token = env.get("METRICS_TOKEN")
        if metrics_token and len(metrics_token) < 16:
            raise SettingsError("METRICS_TOKEN must be at least 16 characters")
        log_format = env.get("LOG_FORMAT", "text") or "text"
        if log_format not in ("text", "json"):
            raise SettingsError("LOG_FORMAT must be 'text' or 'json'")
        zone = env.get("CENTRE_TIMEZONE") or "America/Los_Angeles"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"CENTRE_TIMEZONE must be an IANA time zone such as America/Los_Angeles, "
                f"not {zone!r}"
            ) from None
        try:
            screening_kinds = parse_kinds(env.get("SCREENING_KINDS", ""))
        except ValueError as exc:
            raise SettingsError(f"SCREENING_KINDS: {exc}") from None
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{var / 'odrchat.sqlite3'}",
            redis_url=env.get("REDIS_URL") or None,
            redis_sentinels=sentinels,
            redis_sentinel_master=sentinel_master,
            redis_sentinel_password=sentinel_password,
            secret_key=Secret(secret),
            env=mode,
            public_url=public_url,
            allowed_origins=origins,
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=_int(env, "SMTP_PORT", 587),
            smtp_user=env.get("SMTP_USER") or None,
            smtp_password=Secret(smtp_password) if smtp_password else None,
            smtp_from=env.get("SMTP_FROM", "ODR Mediation <no-reply@localhost>"),
            smtp_starttls=_bool(env, "SMTP_STARTTLS", True),
            invitation_ttl=timedelta(days=_int(env, "INVITATION_TTL_DAYS", 14)),
            retention=timedelta(days=_int(env, "RETENTION_DAYS", 365 * 3)),
            run_migrations=mode != "production",
            documents=_documents(env),
            sms=_sms(env, production=mode == "production"),
            metrics_token=Secret(metrics_token) if metrics_token else None,
            log_format=log_format,
            ack_trace_ms=_float(env, "ACK_TRACE_MS"),
            centre_timezone=zone,
            screening_kinds=screening_kinds,
        )


_TWILIO_VARS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_URL",
)
_WEBHOOK_VARS = ("SMS_WEBHOOK_URL", "SMS_WEBHOOK_SECRET")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_TWILIO_SID = {"AC": re.compile(r"AC[0-9a-f]{32}"), "MG": re.compile(r"MG[0-9a-f]{32}")}


def _sms(env: Mapping[str, str], *, production: bool) -> SmsSettings:
    """SMS_PROVIDER and its credentials; a half-configured provider is refused, not guessed at."""
    provider = env.get("SMS_PROVIDER") or None
    given = {name for name in (*_TWILIO_VARS, *_WEBHOOK_VARS, "SMS_FROM") if env.get(name)}
    if provider is None:
        if given:
            raise SettingsError(
                f"{', '.join(sorted(given))} set but SMS_PROVIDER is not: "
                "set SMS_PROVIDER=twilio or webhook, or unset them (texts stay off)"
            )
        return SmsSettings()
    if provider not in ("twilio", "webhook"):
        raise SettingsError(f"SMS_PROVIDER must be 'twilio' or 'webhook', not {provider!r}")
    other = _WEBHOOK_VARS if provider == "twilio" else _TWILIO_VARS
    if stray := sorted(given & set(other)):
        raise SettingsError(f"{', '.join(stray)} set but SMS_PROVIDER={provider}")
    sender = env.get("SMS_FROM") or None
    if sender is not None and not _E164.fullmatch(sender):
        raise SettingsError(f"SMS_FROM must be a number like +12135550100, not {sender!r}")
    if provider == "twilio":
        return _twilio(env, sender)
    url = env.get("SMS_WEBHOOK_URL") or ""
    secret = env.get("SMS_WEBHOOK_SECRET") or ""
    missing = [n for n, v in (("SMS_WEBHOOK_URL", url), ("SMS_WEBHOOK_SECRET", secret)) if not v]
    if missing:
        raise SettingsError(f"SMS_PROVIDER=webhook needs {' and '.join(missing)}")
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https") or (production and scheme != "https"):
        raise SettingsError("SMS_WEBHOOK_URL must be an https:// URL (http:// only in development)")
    if len(secret) < 32:
        raise SettingsError("SMS_WEBHOOK_SECRET must be at least 32 characters")
    return SmsSettings(
        provider="webhook", sender=sender, webhook_url=url, webhook_secret=Secret(secret)
    )


def _twilio(env: Mapping[str, str], sender: str | None) -> SmsSettings:
    sid = env.get("TWILIO_ACCOUNT_SID") or ""
    token = env.get("TWILIO_AUTH_TOKEN") or ""
    service = env.get("TWILIO_MESSAGING_SERVICE_SID") or None
    missing = [n for n, v in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token)) if not v]
    if sender is None and service is None:
        missing.append("SMS_FROM or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise SettingsError(f"SMS_PROVIDER=twilio needs {' and '.join(missing)}")
    if not _TWILIO_SID["AC"].fullmatch(sid):
        raise SettingsError("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits")
    if service is not None and not _TWILIO_SID["MG"].fullmatch(service):
        raise SettingsError("TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 hex digits")
    api_url = (env.get("TWILIO_API_URL") or "https://api.twilio.com").rstrip("/")
    if urlsplit(api_url).scheme not in ("http", "https"):
        raise SettingsError("TWILIO_API_URL must start with https://")
    return SmsSettings(
        provider="twilio",
        sender=sender,
        twilio_account_sid=sid,
        twilio_auth_token=Secret(token),
        twilio_messaging_service_sid=service,
        twilio_api_url=api_url,
    )


def _documents(env: Mapping[str, str]) -> DocumentSettings:
    store = env.get("DOCUMENT_STORE", "database")
    if store not in ("database", "s3"):
        raise SettingsError("DOCUMENT_STORE must be 'database' or 's3'")
    bucket = env.get("S3_BUCKET") or None
    if store == "s3" and not bucket:
        raise SettingsError("S3_BUCKET must be set when DOCUMENT_STORE=s3")
    secret = env.get("S3_SECRET_ACCESS_KEY")
    mib = 1024 * 1024
    limits = {
        name: _int(env, name, default)
        for name, default in (
            ("UPLOAD_MAX_MB", 10),
            ("UPLOAD_USER_QUOTA_MB", 200),
            ("UPLOAD_CASE_QUOTA_MB", 1024),
            ("UPLOADS_PER_HOUR", 60),
        )
    }
    if min(limits.values()) < 1:
        raise SettingsError("upload limits must be at least 1")
    return DocumentSettings(
        store=store,
        s3_bucket=bucket,
        s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        s3_region=env.get("S3_REGION") or "us-east-1",
        s3_access_key_id=env.get("S3_ACCESS_KEY_ID") or None,
        s3_secret_access_key=Secret(secret) if secret else None,
        s3_prefix=env.get("S3_PREFIX", ""),
        presigned_downloads=_bool(env, "S3_PRESIGNED_DOWNLOADS", False),
        max_bytes=limits["UPLOAD_MAX_MB"] * mib,
        user_quota_bytes=limits["UPLOAD_USER_QUOTA_MB"] * mib,
        case_quota_bytes=limits["UPLOAD_CASE_QUOTA_MB"] * mib,
        uploads_per_hour=limits["UPLOADS_PER_HOUR"],
    )


def _sentinels(
    env: Mapping[str, str],
) -> tuple[tuple[tuple[str, int], ...], str | None, Secret | None]:
    """REDIS_SENTINELS=host:port,... and the master's name REDIS_SENTINEL_MASTER, both or none."""
    raw = env.get("REDIS_SENTINELS", "")
    master = env.get("REDIS_SENTINEL_MASTER") or None
    if not raw.strip():
        if master:
            raise SettingsError("REDIS_SENTINEL_MASTER needs REDIS_SENTINELS")
        return (), None, None
    if not master:
        raise SettingsError("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master's name)")
    sentinels = []
    for item in (part.strip() for part in raw.split(",")):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"REDIS_SENTINELS: not host:port: {item!r}")
        sentinels.append((host.strip("[]"), int(port)))
    password = env.get("REDIS_SENTINEL_PASSWORD")
    return tuple(sentinels), master, Secret(password) if password else None


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise SettingsError(f"not an origin: {url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not value >= 0:
        raise SettingsError(f"{name} must be 0 or more")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _development_secret(var: Path) -> str:
    path = var / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    log.warning(
        "SECRET_KEY is not set: generated a development key in %s. "
        "Set SECRET_KEY (and ODRCHAT_ENV=production) before serving real cases.",
        path,
    )
    return secret
