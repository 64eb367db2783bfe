"""The simulated dialplan: contexts loaded from YAML, Asterisk pattern matching and `${}` substitution.

Only what `extensions.conf` of the reference rig uses is supported: `_` patterns with X Z N [..] . !,
`include`, numeric priorities, `${VAR}`, `${VAR:offset[:length]}`, `${FUNC(args)}` and `$[a+b]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pbxsim.engine.errors import DialplanError


@dataclass(frozen=True, slots=True)
class Priority:
    """One dialplan line: application name and its raw (unsubstituted) argument string."""

    app: str
    data: str


@dataclass(slots=True)
class Context:
    """A dialplan context: extensions in file order and the contexts it includes."""

    name: str
    extensions: dict[str, list[Priority]] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)


_APP_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)


def parse_priority(line: str, where: str) -> Priority:
    """Split `App(args)` into its parts; `where` names the context/extension for the error message."""
    match = _APP_LINE.match(line)
    if match is None:
        raise DialplanError(f"{where}: cannot parse dialplan line {line!r}; expected App(arguments)")
    return Priority(match.group(1), match.group(2) or "")


def pattern_matches(pattern: str, exten: str) -> bool:
    """Asterisk extension matching: literal names, or `_` patterns with X, Z, N, [set], `.` and `!`."""
    if not pattern.startswith("_"):
        return pattern == exten
    body = pattern[1:]
    regex = ""
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in "Xx":
            regex += "[0-9]"
        elif ch in "Zz":
            regex += "[1-9]"
        elif ch in "Nn":
            regex += "[2-9]"
        elif ch == "[":
            end = body.index("]", i)
            regex += "[" + re.escape(body[i + 1 : end]).replace("\\-", "-") + "]"
            i = end
        elif ch == ".":
            regex += ".+"
        elif ch == "!":
            regex += ".*"
        else:
            regex += re.escape(ch)
        i += 1
    return re.fullmatch(regex, exten) is not None


class Dialplan:
    """All contexts plus the globals block; finds the extension a channel runs."""

    def __init__(self, contexts: Mapping[str, Context], global_vars: Mapping[str, str]) -> None:
        self.contexts = dict(contexts)
        self.globals = dict(global_vars)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str = "<dialplan>") -> Dialplan:
        """Build from the parsed YAML document (see pbxsim/config/dialplan.yaml for the shape)."""
        contexts: dict[str, Context] = {}
        for cname, body in (raw.get("contexts") or {}).items():
            context = Context(str(cname))
            for key, value in (body or {}).items():
                if key == "include":
                    context.includes = [str(v) for v in value]
                    continue
                where = f"{source}: context {cname!r}, extension {key!r}"
                if not isinstance(value, list):
                    raise DialplanError(f"{where}: expected a list of priorities")
                context.extensions[str(key)] = [parse_priority(str(line), where) for line in value]
            contexts[context.name] = context
        global_vars = {str(k): str(v) for k, v in (raw.get("globals") or {}).items()}
        return cls(contexts, global_vars)

    @classmethod
    def load(cls, path: Path | None = None) -> Dialplan:
        """Load a YAML dialplan file; without a path, the shipped mirror of the reference rig."""
        if path is None:
            text = resources.files("pbxsim.config").joinpath("dialplan.yaml").read_text(encoding="utf-8")
            source = "pbxsim/config/dialplan.yaml"
        else:
            text = path.read_text(encoding="utf-8")
            source = str(path)
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DialplanError(f"{source}: invalid YAML: {exc}") from exc
        return cls.from_mapping(raw or {}, source)

    def find(self, context: str, exten: str) -> tuple[str, list[Priority]] | None:
        """The matching extension (pattern text, priorities) in `context` or its includes; literals win."""
        return self._find(context, exten, set())

    def _find(self, context: str, exten: str, seen: set[str]) -> tuple[str, list[Priority]] | None:
        if context in seen or context not in self.contexts:
            return None
        seen.add(context)
        ctx = self.contexts[context]
        if exten in ctx.extensions:
            return exten, ctx.extensions[exten]
        candidates = [p for p in ctx.extensions if p.startswith("_") and pattern_matches(p, exten)]
        if candidates:
            best = max(candidates, key=_specificity)
            return best, ctx.extensions[best]
        for included in ctx.includes:
            found = self._find(included, exten, seen)
            if found is not None:
                return found
        return None

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        """Whether context/exten/priority can be run (used by Goto, Redirect and Originate checks)."""
        found = self.find(context, exten)
        return found is not None and 1 <= priority <= len(found[1])


def _specificity(pattern: str) -> tuple[int, int]:
    """Prefer longer, less wild patterns, as Asterisk roughly does (`_1XXX` beats `_X.`)."""
    wild = pattern.count(".") + pattern.count("!")
    return (-wild, len(pattern))


Lookup = Callable[[str], str]


def substitute(text: str, lookup: Lookup) -> str:
    """Expand `${...}` (innermost first) and `$[...]` in `text`; `lookup` resolves one `${}` body."""
    out = text
    for _ in range(100):
        start = _innermost(out, "${")
        if start is None:
            break
        end = _matching(out, start + 1, "{", "}")
        out = out[:start] + lookup(out[start + 2 : end]) + out[end + 1 :]
    for _ in range(100):
        start = _innermost(out, "$[")
        if start is None:
            break
        end = _matching(out, start + 1, "[", "]")
        out = out[:start] + evaluate_expression(out[start + 2 : end]) + out[end + 1 :]
    return out


def _innermost(text: str, opener: str) -> int | None:
    """Index of the last `opener` whose body holds no further opener (so inner ones go first)."""
    index = text.rfind(opener)
    return None if index < 0 else index


def _matching(text: str, open_index: int, opener: str, closer: str) -> int:
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == opener:
            depth += 1
        elif text[i] == closer:
            depth -= 1
            if depth == 0:
                return i
    return len(text) - 1


def evaluate_expression(expr: str) -> str:
    """`$[...]`: integer + - * / and comparisons, enough for `${EPOCH}+3`."""
    cleaned = expr.strip()
    if re.fullmatch(r"[0-9+\-*/ ()<>=!]+", cleaned) is None:
        return cleaned
    try:
        value = eval(cleaned.replace("/", "//"), {"__builtins__": {}}, {})
    except Exception:
        return cleaned
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def split_args(data: str) -> list[str]:
    """Split application data on commas outside parentheses and quotes, like ast_app_separate_args."""
    args: list[str] = []
    depth = 0
    quoted = False
    current = ""
    for ch in data:
        if ch == '"':
            quoted = not quoted
            current += ch
        elif ch == "(" and not quoted:
            depth += 1
            current += ch
        elif ch == ")" and not quoted:
            depth = max(0, depth - 1)
            current += ch
        elif ch == "," and depth == 0 and not quoted:
            args.append(current)
            current = ""
        else:
            current += ch
    args.append(current)
    return args
