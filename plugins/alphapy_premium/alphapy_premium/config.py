"""The premium plugin's process configuration: environment variables (and ``.env``).

These are operator settings of the process, not per-guild settings: the billing
service, the webhook's shared secret and the Discord SKUs are the same for every guild.
Secrets are :class:`~pydantic.SecretStr` and registered for log redaction on load.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from alphapy import ProcessSettings

MAX_SNOWFLAKE = (1 << 63) - 1


class PremiumConfigError(Exception):
    """A ``PREMIUM_*`` variable is malformed; the message is one line naming it."""


class PremiumConfig(ProcessSettings):
    """``PREMIUM_API_URL``, ``PREMIUM_API_TOKEN``, ``PREMIUM_WEBHOOK_SECRET`` ..."""

    model_config = SettingsConfigDict(
        env_prefix="PREMIUM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
    )

    api_url: str | None = Field(None, description="the billing service's base URL; unset: the local table only")
    api_token: SecretStr | None = Field(None, description="bearer token for the billing service")
    api_timeout: float = Field(2.0, gt=0, le=30, description="seconds one billing request may take")
    cache_seconds: float = Field(180.0, ge=0, le=3600, description="how long billing and Discord answers are reused")
    retry_seconds: float = Field(30.0, ge=0, le=3600,
                                 description="after a billing failure, answer from the local table this long")
    webhook_secret: SecretStr | None = Field(None, description="the signed webhook's shared secret; unset: webhook off")
    webhook_tolerance_seconds: int = Field(300, ge=1, le=3600, description="how old a webhook timestamp may be")
    sku_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Discord SKU ids whose entitlements count as premium")
    expiry_grace_hours: float = Field(24.0, ge=0, le=24 * 60,
                                      description="an active subscription stays premium this long past expires_at")
    expiry_interval_seconds: float = Field(300.0, ge=1, le=86400, description="how often expiry runs")
    event_retention_days: int = Field(30, ge=1, le=3650, description="how long processed webhook event ids are kept")

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or len(value) > 2000:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("sku_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("sku_ids")
    @classmethod
    def _snowflakes(cls, value: list[int]) -> list[int]:
        if any(not 0 < sku <= MAX_SNOWFLAKE for sku in value):
            raise ValueError("must be Discord SKU ids (positive numbers)")
        return value

    @property
    def billing_configured(self) -> bool:
        return self.api_url is not None

    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in (self.api_token, self.webhook_secret) if s is not None]


def load_premium_config(**overrides: Any) -> PremiumConfig:
    """Read the configuration and register its secrets for redaction; one line on error."""
    from alphapy import register_secrets

    try:
        config = PremiumConfig(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PREMIUM_" + str(first["loc"][0]).upper() if first["loc"] else "PREMIUM_*"
        raise PremiumConfigError(f"{name}: {first['msg']}") from None
    register_secrets(config.secrets())
    return config
