"""Settings come from the environment once, and refuse what cannot work."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from odrchat.settings import Settings, SettingsError


def test_defaults_run_with_no_environment(tmp_path: Path) -> None:
    s = Settings.from_env({}, var_dir=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'odrchat.sqlite3'}"
    assert s.redis_url is None and s.smtp_host is None and not s.production
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    again = Settings.from_env({}, var_dir=tmp_path)
    assert again.secret_key == s.secret_key  # kept, not regenerated


def test_production_needs_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"ODRCHAT_ENV": "production"}, var_dir=tmp_path)
    s = Settings.from_env({"ODRCHAT_ENV": "production", "SECRET_KEY": "k" * 40}, var_dir=tmp_path)
    assert s.production and not s.run_migrations


def test_secret_is_hidden_from_reprs(tmp_path: Path) -> None:
    s = Settings.from_env(
        {"SECRET_KEY": "k" * 40, "SMTP_PASSWORD": "hunter2hunter2"}, var_dir=tmp_path
    )
    assert "kkkk" not in repr(s) and "hunter2" not in repr(s)


def test_origins_and_bad_values(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "PUBLIC_URL": "https://odr.example.org/",
            "ALLOWED_ORIGINS": "https://court.example.gov, http://localhost:3000",
        },
        var_dir=tmp_path,
    )
    assert s.origins == {
        "https://odr.example.org",
        "https://court.example.gov",
        "http://localhost:3000",
    }
    assert s.secure_cookies
    for env in (
        {"SMTP_PORT": "twenty-five"},
        {"SMTP_STARTTLS": "maybe"},
        {"PUBLIC_URL": "odr.example.org"},
        {"SECRET_KEY": "short"},
        {"ODRCHAT_ENV": "staging"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_env(env, var_dir=tmp_path)


def test_document_store_and_upload_limits(tmp_path: Path) -> None:
    s = Settings.from_env({}, var_dir=tmp_path)
    assert (s.documents.store, s.documents.max_bytes) == ("database", 10 * 1024 * 1024)
    s = Settings.from_env(
        {
            "DOCUMENT_STORE": "s3",
            "S3_BUCKET": "evidence",
            "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "S3_SECRET_ACCESS_KEY": "very-secret-value",
            "S3_PRESIGNED_DOWNLOADS": "yes",
            "UPLOAD_MAX_MB": "5",
            "UPLOADS_PER_HOUR": "3",
        },
        var_dir=tmp_path,
    )
    assert s.documents.store == "s3" and s.documents.s3_bucket == "evidence"
    assert s.documents.presigned_downloads and s.documents.max_bytes == 5 * 1024 * 1024
    assert s.documents.uploads_per_hour == 3
    assert "very-secret" not in repr(s)
    with pytest.raises(SettingsError, match="S3_BUCKET"):
        Settings.from_env({"DOCUMENT_STORE": "s3"}, var_dir=tmp_path)
    with pytest.raises(SettingsError, match="DOCUMENT_STORE"):
        Settings.from_env({"DOCUMENT_STORE": "disk"}, var_dir=tmp_path)
    with pytest.raises(SettingsError, match="at least 1"):
        Settings.from_env({"UPLOAD_MAX_MB": "0"}, var_dir=tmp_path)


SID = "AC" + "0123456789abcdef" * 2
SERVICE = "MG" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-value"
HOOK_SECRET = "s" * 40


def test_sms_is_off_by_default_and_each_provider_reads_its_own_settings(tmp_path: Path) -> None:
    assert Settings.from_env({}, var_dir=tmp_path).sms.provider is None
    twilio = Settings.from_env(
        {
            "SMS_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "SMS_FROM": "+12135550199",
        },
        var_dir=tmp_path,
    ).sms
    assert (twilio.provider, twilio.sender, twilio.twilio_api_url) == (
        "twilio",
        "+12135550199",
        "https://api.twilio.com",
    )
    assert TOKEN not in repr(twilio)
    service = Settings.from_env(
        {
            "SMS_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_MESSAGING_SERVICE_SID": SERVICE,
        },
        var_dir=tmp_path,
    ).sms
    assert (service.sender, service.twilio_messaging_service_sid) == (None, SERVICE)
    hook = Settings.from_env(
        {
            "SMS_PROVIDER": "webhook",
            "SMS_WEBHOOK_URL": "https://sms.centre.example/send",
            "SMS_WEBHOOK_SECRET": HOOK_SECRET,
        },
        var_dir=tmp_path,
    ).sms
    assert (hook.provider, hook.webhook_url) == ("webhook", "https://sms.centre.example/send")
    assert HOOK_SECRET not in repr(hook)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SMS_PROVIDER": "carrier-pigeon"}, "SMS_PROVIDER must be 'twilio' or 'webhook'"),
        ({"TWILIO_AUTH_TOKEN": TOKEN}, "TWILIO_AUTH_TOKEN set but SMS_PROVIDER is not"),
        ({"SMS_FROM": "+12135550199"}, "SMS_FROM set but SMS_PROVIDER is not"),
        (
            {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": SID, "SMS_FROM": "+12135550199"},
            "SMS_PROVIDER=twilio needs TWILIO_AUTH_TOKEN",
        ),
        (
            {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN},
            "needs SMS_FROM or TWILIO_MESSAGING_SERVICE_SID",
        ),
        (
            {
                "SMS_PROVIDER": "twilio",
                "TWILIO_ACCOUNT_SID": "AC123",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "SMS_FROM": "+12135550199",
            },
            "TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits",
        ),
        (
            {
                "SMS_PROVIDER": "twilio",
                "TWILIO_ACCOUNT_SID": SID,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "SMS_FROM": "213 555 0199",
            },
            "SMS_FROM must be a number like",
        ),
        (
            {
                "SMS_PROVIDER": "twilio",
                "TWILIO_ACCOUNT_SID": SID,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "SMS_FROM": "+12135550199",
                "SMS_WEBHOOK_URL": "https://sms.centre.example/send",
            },
            "SMS_WEBHOOK_URL set but SMS_PROVIDER=twilio",
        ),
        ({"SMS_PROVIDER": "webhook"}, "needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET"),
        (
            {
                "SMS_PROVIDER": "webhook",
                "SMS_WEBHOOK_URL": "https://sms.centre.example/send",
                "SMS_WEBHOOK_SECRET": "short",
            },
            "SMS_WEBHOOK_SECRET must be at least 32 characters",
        ),
        (
            {
                "ODRCHAT_ENV": "production",
                "SECRET_KEY": "k" * 40,
                "SMS_PROVIDER": "webhook",
                "SMS_WEBHOOK_URL": "http://sms.centre.example/send",
                "SMS_WEBHOOK_SECRET": HOOK_SECRET,
            },
            "SMS_WEBHOOK_URL must be an https:// URL",
        ),
    ],
)
def test_a_half_configured_sms_provider_is_refused_with_what_is_missing(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env, var_dir=tmp_path)
    assert says in str(refused.value)


def test_centre_timezone_defaults_to_los_angeles_and_refuses_unknown_zones(
    tmp_path: Path,
) -> None:
    assert Settings.from_env({}, var_dir=tmp_path).tz == ZoneInfo("America/Los_Angeles")
    chosen = Settings.from_env({"CENTRE_TIMEZONE": "America/Denver"}, var_dir=tmp_path)
    assert chosen.centre_timezone == "America/Denver" and chosen.tz.key == "America/Denver"
    for bad in ("Mars/Olympus", "../etc/passwd"):
        with pytest.raises(SettingsError, match="CENTRE_TIMEZONE"):
            Settings.from_env({"CENTRE_TIMEZONE": bad}, var_dir=tmp_path)


def test_operations_settings(tmp_path: Path) -> None:
    """LOG_FORMAT, METRICS_TOKEN and Redis through Sentinel."""
    s = Settings.from_env({}, var_dir=tmp_path)
    assert (s.log_format, s.metrics_token, s.redis_sentinels, s.uses_redis) == (
        "text",
        None,
        (),
        False,
    )
    s = Settings.from_env(
        {
            "LOG_FORMAT": "json",
            "METRICS_TOKEN": "metrics-token-0123456789",
            "REDIS_SENTINELS": "10.0.0.1:26379, sentinel-b:26380,[::1]:26381",
            "REDIS_SENTINEL_MASTER": "odrchat",
            "REDIS_SENTINEL_PASSWORD": "sentinel-secret",
        },
        var_dir=tmp_path,
    )
    assert s.log_format == "json" and s.metrics_token == "metrics-token-0123456789"
    assert "0123456789" not in repr(s) and "sentinel-secret" not in repr(s)
    assert s.redis_sentinels == (("10.0.0.1", 26379), ("sentinel-b", 26380), ("::1", 26381))
    assert s.redis_sentinel_master == "odrchat" and s.uses_redis and s.redis_url is None
    for env in (
        {"LOG_FORMAT": "xml"},
        {"METRICS_TOKEN": "short"},
        {"REDIS_SENTINELS": "10.0.0.1:26379"},  # no master name
        {"REDIS_SENTINEL_MASTER": "odrchat"},  # no sentinels
        {"REDIS_SENTINELS": "10.0.0.1", "REDIS_SENTINEL_MASTER": "odrchat"},
        {"REDIS_SENTINELS": "h:99999", "REDIS_SENTINEL_MASTER": "odrchat"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_env(env, var_dir=tmp_path)
