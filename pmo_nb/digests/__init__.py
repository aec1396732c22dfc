"""Digests: "what needs you" per person, built as e-mail or chat messages and delivered.

Sits beside the reports (its links point into the published report folder).
Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "build_digest": "content",
    "Digest": "content",
    "owned_projects": "content",
    "digest_facts": "content",
    "Facts": "content",
    "to_text": "render",
    "to_html": "render",
    "slack_payload": "render",
    "teams_payload": "render",
    "load_config": "config",
    "DigestConfig": "config",
    "DigestConfigError": "config",
    "smtp_settings": "delivery",
    "send_digests": "send",
    "digest_period": "send",
    "Delivery": "send",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
