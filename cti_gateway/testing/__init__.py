"""In-memory stand-ins for the core's ports, for domain tests that need no database or broker."""
