"""Webhook delivery over HTTP with httpx."""

from adapters.webhooks.httpx_sender import HttpxWebhookSender

__all__ = ["HttpxWebhookSender"]
