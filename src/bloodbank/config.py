"""One settings object, read from the environment (prefix BLOODBANK_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BLOODBANK_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'bloodbank.db'}",
        description="Any SQLAlchemy URL; SQLite is the embedded default, PostgreSQL (psycopg 3) for a service.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # Worker processes of `bloodbank serve`: one per core on PostgreSQL.
    workers: int = Field(default=1, ge=1, le=64)
    rule_set: str = Field(default="who", description="Default eligibility regime for new sites.")
    # Collection is refused without consent to this text version; bump it when the wording changes.
    consent_text_version: str = "2026-01"
    # "test" makes password hashes cheap for the test suite only; a server refuses to start with it.
    password_hashing: str = "standard"
    # The address people use, e.g. https://blood.example.org; https:// says TLS is terminated in front.
    public_url: str = ""
    # The largest request body read; a results file or a history import larger than this is split.
    max_body_bytes: int = 10 * 1024 * 1024
    # Donors' confidences are sealed in the database with keys kept outside it (adapters.data_keys): a key-ring
    # file readable by its owner only, or `ID:KEY` pairs (the first one current) from the environment.
    data_key_file: str = ""
    data_keys: SecretStr = SecretStr("")
    # Retention: unset, the periods of domain/rules/retention.toml apply (3 years, 12 months).
    retention_never_donated_years: int | None = None
    retention_appointment_months: int | None = None
    # Appeals to donors. The personal links are signed with this secret (or BLOODBANK_APPEAL_LINK_SECRET_FILE);
    # without it no appeal starts. Links point at public_url, or at this address when given.
    appeal_link_secret: SecretStr = SecretStr("")
    appeal_link_secret_file: str = ""
    appeal_link_base_url: str = ""
    # Email over SMTP; no host, no email is sent (messages wait in the outbox, shown as failing).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_from: str = "appeals@bloodbank.invalid"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # SMS through an HTTP gateway: a POST of JSON built from the body template ($to, $text and $key, the
    # idempotency key, are filled in; values are JSON-escaped), with basic credentials if given.
    sms_gateway_url: str = ""
    sms_gateway_user: str = ""
    sms_gateway_password: SecretStr = SecretStr("")
    sms_body_template: str = '{"to": $to, "text": $text, "idempotency_key": $key}'
    sms_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Replies the gateway posts back to /api/sms/inbound carry this shared secret (header X-Gateway-Secret).
    sms_inbound_secret: SecretStr = SecretStr("")
    # The outbox: how long a sender holds a claimed message, and the attempts before a message is failed.
    outbox_lease_seconds: int = Field(default=60, ge=5, le=3600)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    # Seconds between passes of the sender `bloodbank serve` runs beside the app; 0 runs none.
    outbox_interval_seconds: int = Field(default=0, ge=0, le=3600)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def masked_url(url: str) -> str:
    """The URL with any password replaced, for logs and screens."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
