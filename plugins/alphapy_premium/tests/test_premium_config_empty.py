"""``PREMIUM_*=`` left empty, as a ``.env`` template does, means unset (the core's rule)."""

from __future__ import annotations

from pathlib import Path

from alphapy_premium.config import load_premium_config


def test_empty_premium_variables_take_their_defaults(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PREMIUM_API_URL=\nPREMIUM_API_TOKEN=\nPREMIUM_WEBHOOK_SECRET=\n"
                        "PREMIUM_CACHE_SECONDS=\nPREMIUM_SKU_IDS=\nPREMIUM_EXPIRY_GRACE_HOURS= \n")
    config = load_premium_config(_env_file=env_file)
    assert config.api_url is None and config.api_token is None and config.webhook_secret is None
    assert not config.billing_configured
    assert (config.cache_seconds, config.sku_ids, config.expiry_grace_hours) == (180.0, [], 24.0)
