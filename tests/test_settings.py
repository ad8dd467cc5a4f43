"""Settings come from the environment once, and refuse what cannot work."""

from __future__ import annotations

from pathlib import Path

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
