"""Event-bus adapter tests (in-process and Redis Streams)."""
