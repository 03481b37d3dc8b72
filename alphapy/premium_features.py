"""What premium unlocks, as every plugin declares it with the ``premium_features`` hook.

Plugins gate features with :func:`alphapy.premium.has_premium`; only they know which. The
premium plugin shows hosts the sum of what they declare, so the core collects it here,
one plugin's failure or nonsense never hiding the others' sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alphapy.log import get_logger
from alphapy.redaction import describe_exception

MAX_SENTENCE = 300
"""Longer sentences are cut: a feature is a line on a page, not a manual."""
MAX_FEATURES = 20
"""Per plugin: more is a list nobody reads."""

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PremiumFeature:
    """One thing premium unlocks: the plugin that declared it and its sentence."""

    plugin: str
    sentence: str


def premium_features(plugins: Any) -> list[PremiumFeature]:
    """Every plugin's declared premium features, in plugin order; a plugin whose hook fails or
    answers something other than a list of sentences is logged and left out."""
    features: list[PremiumFeature] = []
    for result in plugins.call_each("premium_features"):
        if result.error is not None:
            log.error("premium.features_failed", plugin=result.plugin, error=describe_exception(result.error))
            continue
        value = result.value
        if value is None:
            continue
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            log.error("premium.features_not_sentences", plugin=result.plugin, answered=type(value).__name__)
            continue
        sentences = [" ".join(item.split())[:MAX_SENTENCE] for item in value]
        seen: set[str] = set()
        for sentence in sentences[:MAX_FEATURES]:
            if sentence and sentence not in seen:
                seen.add(sentence)
                features.append(PremiumFeature(result.plugin, sentence))
    return features
