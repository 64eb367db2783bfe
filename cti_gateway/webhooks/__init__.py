"""Webhooks: signed, retried call status callbacks to the `webhook_url` given at click-to-call."""

from cti_gateway.webhooks.dispatcher import CALL_STATUS_EVENTS, WebhookDispatcher
from cti_gateway.webhooks.model import (
    InMemoryWebhookOutbox,
    InMemoryWebhookSubscriptionStore,
    WebhookDelivery,
    WebhookOutbox,
    WebhookSender,
    WebhookSendError,
    WebhookSubscription,
    WebhookSubscriptionStore,
)
from cti_gateway.webhooks.signing import (
    ATTEMPT_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signed_payload,
    verify,
)

__all__ = [
    "ATTEMPT_HEADER",
    "CALL_STATUS_EVENTS",
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "InMemoryWebhookOutbox",
    "InMemoryWebhookSubscriptionStore",
    "WebhookDelivery",
    "WebhookDispatcher",
    "WebhookOutbox",
    "WebhookSendError",
    "WebhookSender",
    "WebhookSubscription",
    "WebhookSubscriptionStore",
    "sign",
    "signed_payload",
    "verify",
]
