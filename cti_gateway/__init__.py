"""CTI gateway for Asterisk contact centers: the service core (domain model, ACD, API, event hub)."""

__version__ = "0.1.0"
