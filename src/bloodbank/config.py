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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def masked_url(url: str) -> str:
    """The URL with any password replaced, for logs and screens."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
