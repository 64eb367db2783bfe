"""The gateway's HTTP and WebSocket API."""
