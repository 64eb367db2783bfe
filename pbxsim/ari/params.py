"""ARI request parameters: the query string, merged with the fields of a JSON body as Asterisk allows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pbxsim.ari.errors import bad_request


@dataclass(frozen=True, slots=True)
class AriParams:
    """Parameters of one request; query values win over body fields of the same name."""

    values: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        """One parameter as text, or `default` when absent."""
        return self.values.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        """One parameter as text, `default` when absent."""
        value = self.values.get(name)
        return default if value is None else value

    def required(self, name: str, message: str | None = None) -> str:
        """A parameter that must be present; 400 otherwise, with Asterisk's wording."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(message or f"Required parameter '{name}' not provided.")
        return value

    def integer(self, name: str, default: int) -> int:
        """A whole-number parameter; 400 when it is not one."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Parameter '{name}' must be an integer, got {value!r}") from None

    def boolean(self, name: str, default: bool) -> bool:
        """A `true`/`false` parameter (Asterisk also takes yes/no/1/0)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        lowered = value.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise bad_request(f"Parameter '{name}' must be true or false, got {value!r}")

    def csv(self, name: str) -> list[str]:
        """A comma-separated list parameter (`channel=a,b`, `appArgs=x,y`)."""
        value = self.values.get(name)
        if not value:
            return []
        return value.split(",")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def parse_params(query: Mapping[str, str], body: bytes) -> AriParams:
    """Merge the query with a JSON object body; a body that is not JSON gives Asterisk's 400."""
    values = dict(query)
    variables: dict[str, str] = {}
    if body.strip():
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Error parsing request body") from None
        if isinstance(document, dict):
            raw_variables = document.get("variables")
            if isinstance(raw_variables, dict):
                variables = {str(k): _as_text(v) for k, v in raw_variables.items()}
            for key, value in document.items():
                if key != "variables" and key not in values and value is not None:
                    values[key] = _as_text(value)
    return AriParams(values=values, variables=variables)
