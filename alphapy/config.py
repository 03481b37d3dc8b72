"""Process configuration: environment variables and an optional ``.env`` file.

Everything an operator can set lives in :class:`Config`. Bad values must stop the
process with one readable line naming the variable, because a pydantic traceback
in a container log helps nobody at 3 a.m.; :func:`load_config` turns validation
errors into a :class:`ConfigError` that the CLI prints as that line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from alphapy.redaction import redact_text, register_environment_secrets, secrets_in

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

DEFAULT_DISCORD_API_BASE = "https://discord.com/api/v10"
DEFAULT_DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"

CommaList = Annotated[list[str] | None, NoDecode]
CommaInts = Annotated[list[int] | None, NoDecode]
#: ``SHARD_IDS=auto``: the shards are claimed through the database (:mod:`alphapy.shards`)
AUTO = "auto"
ShardIds = Annotated[list[int] | Literal["auto"] | None, NoDecode]


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message is one line for humans."""


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class ProcessSettings(BaseSettings):
    """Base of every process configuration, the core's and plugins': ``NAME=`` means unset.

    A ``.env`` template leaves ``DISCORD_TOKEN=`` or ``PREMIUM_CACHE_SECONDS=``; that must
    not send an empty token to Discord nor fail as "not a number": an empty (or blank)
    value is dropped, so the default applies. Fields where empty means something list
    their names in ``empty_is_a_value``.
    """

    empty_is_a_value: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _empty_means_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: value for key, value in data.items()
                if not (isinstance(value, str) and not value.strip()
                        and cls._field_name(key) not in cls.empty_is_a_value)}

    @classmethod
    def _field_name(cls, key: str) -> str:
        """The field a key stands for (keys arrive as field names or aliases, in any case)."""
        lowered = key.lower()
        for name, info in cls.model_fields.items():
            alias = info.validation_alias
            if lowered == name or (isinstance(alias, str) and lowered == alias.lower()):
                return name
        return lowered


class Config(ProcessSettings):
    """All settings of one Alphapy process (not per guild: those are guild settings)."""

    empty_is_a_value = frozenset({"alphapy_plugins"})  # ALPHAPY_PLUGINS= loads no plugin

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        populate_by_name=True,
    )

    # --- database -------------------------------------------------------------------
    database_url: str | None = Field(
        None,
        description="postgresql:// URL of the server to use; unset starts an embedded PostgreSQL",
    )
    data_dir: Path = Field(
        Path(".alphapy"),
        validation_alias="ALPHAPY_DATA_DIR",
        description="folder for the embedded database and other local state",
    )
    db_pool_min_size: int = Field(2, ge=0, le=1000)
    db_pool_max_size: int = Field(10, ge=1, le=1000)
    db_tracker_pool_size: int = Field(2, ge=1, le=100)
    db_connect_timeout: float = Field(10.0, gt=0, le=300)

    # --- Discord --------------------------------------------------------------------
    discord_token: SecretStr | None = None
    discord_api_base: str = DEFAULT_DISCORD_API_BASE
    discord_gateway_url: str = DEFAULT_DISCORD_GATEWAY_URL
    shard_count: int | None = Field(None, ge=1, le=100_000)
    shard_ids: ShardIds = Field(
        None, description="comma-separated shards of this process, or auto: claimed through the database"
    )
    shards_per_process: int | None = Field(
        None, ge=1, le=100_000, description="with SHARD_IDS=auto: most shards one process holds (unset: no cap)"
    )
    shard_lease_seconds: float = Field(
        30.0, ge=1, le=3600, description="with SHARD_IDS=auto: how long a dead process keeps its shards"
    )
    shard_identify_seconds: float = Field(
        5.0, ge=0, le=60, description="with SHARD_IDS=auto: Discord's spacing of IDENTIFYs per bucket"
    )
    command_prefix: str = Field("!", min_length=1, max_length=5, description="prefix of text commands")
    message_cache_size: int = Field(1000, ge=0, le=100_000, description="messages discord.py keeps in memory")
    dev_guild_ids: CommaInts = Field(
        None, description="sync application commands to these guilds only (development)"
    )

    # --- plugins --------------------------------------------------------------------
    alphapy_plugins: CommaList = Field(
        None, description="comma-separated plugin names to load; unset loads all, empty loads none"
    )
    plugins_enabled_by_default: bool = Field(
        True, description="whether a plugin is on in a guild that never switched it"
    )

    # --- AI -------------------------------------------------------------------------
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_vision_model: str | None = None
    openai_timeout: float = Field(20.0, gt=0, le=600)
    openai_max_retries: int = Field(1, ge=0, le=10)

    # --- health server --------------------------------------------------------------
    health_host: str = "127.0.0.1"
    health_port: int = Field(8080, ge=0, le=65535)
    health_record_interval: float = Field(60.0, ge=0, description="seconds between history rows")
    health_cache_seconds: float = Field(1.0, ge=0, le=60, description="how long one health report is reused")

    # --- playground (the emulator's web client; offline runs only) ------------------------
    playground_port: int = Field(
        8095, ge=0, le=65535, description="loopback port of the playground `alphapy run` serves without a token"
    )

    # --- dashboard (the hosts' web app) ---------------------------------------------------
    dashboard_host: str = Field("127.0.0.1", description="address the dashboard listens on")
    dashboard_port: int = Field(8090, ge=0, le=65535)
    dashboard_public_url: str | None = Field(
        None, description="URL people open (behind a proxy: https://...); unset: http://host:port"
    )
    discord_client_id: int | None = Field(None, description="the application's OAuth2 client id")
    discord_client_secret: SecretStr | None = None
    dashboard_session_secret: SecretStr | None = Field(
        None, description="key of the session cookies; unset: generated into the data folder"
    )

    # --- tracking -------------------------------------------------------------------
    tracker_flush_interval: float = Field(1.0, gt=0, le=3600)
    tracker_batch_size: int = Field(500, ge=1, le=1_000_000)
    tracker_backlog_limit: int = Field(100_000, ge=1, le=100_000_000)

    # --- logging --------------------------------------------------------------------
    log_level: Literal["debug", "info", "warning", "error", "critical"] | None = Field(
        None, description="unset: info for the bot, warning for other commands"
    )
    log_format: Literal["auto", "console", "json"] = "auto"

    @field_validator("alphapy_plugins", "shard_ids", "dev_guild_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == AUTO:
            return AUTO
        return _split_commas(value)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL such as postgresql://alphapy@localhost:5432/alphapy "
                             "(a password goes after the user name, user:password@)")
        return value

    @field_validator("discord_api_base", "openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("discord_api_base")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        # discord.py authenticates with the token alone and refuses a URL with user info.
        if value is not None and "@" in value.split("://", 1)[-1].split("/", 1)[0]:
            raise ValueError("must not contain a user name or password (the bot logs in with DISCORD_TOKEN)")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError(
                f"DB_POOL_MIN_SIZE ({self.db_pool_min_size}) must not exceed "
                f"DB_POOL_MAX_SIZE ({self.db_pool_max_size})"
            )
        if self.shards_auto:
            return self
        if self.shard_ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT (or SHARD_IDS=auto)")
        if isinstance(self.shard_ids, list) and self.shard_count is not None:
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"SHARD_IDS {bad} must lie in 0..{self.shard_count - 1} (SHARD_COUNT)")
        return self

    #: with SHARD_IDS=auto: (shard_count, shard ids) claimed so far (see :meth:`serve_claimed`)
    _claimed: tuple[int, list[int]] | None = PrivateAttr(None)

    # --- derived --------------------------------------------------------------------
    def serve_claimed(self, shard_count: int, shard_ids: list[int]) -> None:
        """Record the shards this process holds now (``SHARD_IDS=auto``), for :meth:`shard_filter`."""
        self._claimed = (shard_count, sorted(shard_ids))

    @property
    def ai_configured(self) -> bool:
        """AI features run only when a key or a base URL (a local server) is set."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    def secrets(self) -> list[str]:
        """Secret values that log redaction must hide wherever they appear."""
        found = [s.get_secret_value() for s in (self.discord_token, self.openai_api_key, self.discord_client_secret,
                                                  self.dashboard_session_secret) if s]
        found += secrets_in({"DATABASE_URL": self.database_url, "OPENAI_BASE_URL": self.openai_base_url,
                             "DISCORD_API_BASE": self.discord_api_base,
                             "DISCORD_GATEWAY_URL": self.discord_gateway_url})  # their passwords
        return [s for s in found if len(s) >= 6]

    @property
    def shards_auto(self) -> bool:
        """Whether this process claims its shards through the database (``SHARD_IDS=auto``)."""
        return self.shard_ids == AUTO

    def shard_filter(self) -> tuple[int, list[int]]:
        """(shard_count, shard_ids) this process serves; one shard when unsharded.

        With ``SHARD_IDS=auto`` nothing until the runner has claimed shards (it then
        writes the claim here, so plugins that size themselves by it see it at start-up).
        """
        if self.shard_ids == AUTO:
            if self._claimed is not None:
                return self._claimed[0], list(self._claimed[1])
            return self.shard_count or 1, []
        count = self.shard_count or 1
        ids = self.shard_ids if isinstance(self.shard_ids, list) else list(range(count))
        return count, ids


def input_names() -> list[str]:
    """Every name :class:`Config` reads (field names and aliases, lower case): what
    ``alphapy migrate``'s fast path (:mod:`alphapy.db.up_to_date`) must see unchanged."""
    names = set(Config.model_fields)
    names.update(info.validation_alias.lower() for info in Config.model_fields.values()
                 if isinstance(info.validation_alias, str))
    return sorted(names)


def _describe(error: ErrorDetails) -> str:
    location = [str(part) for part in error.get("loc", ()) if part != "__root__"]
    name = location[0].upper() if location else ""
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    got = error.get("input")
    shown = ""
    if name and got is not None and not isinstance(got, (dict, list)) and "secret" not in message.lower():
        if not any(word in name for word in ("TOKEN", "KEY", "SECRET", "PASSWORD")):
            # redact before cutting: a password cut in half is no longer recognisable
            shown = f" (got {redact_text(str(got))[:60]!r})"
    return f"{name}: {message}{shown}" if name else message


def load_config(**overrides: Any) -> Config:
    """Read the configuration, raising :class:`ConfigError` with one line on bad values.

    The environment's secrets are registered for redaction first: the line about a
    malformed value must not show a password that the value carries.
    """
    register_environment_secrets(overrides.get("_env_file", ".env"))
    try:
        return Config(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
