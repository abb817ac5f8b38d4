"""Settings from environment variables, through small typed helpers that fail loudly.

Modelled on healthchecks' ``envbool``/``envint``: a wrong value stops the start-up with a
message that names the variable, instead of running with a silently wrong setting.
"""

import os


class ConfigError(RuntimeError):
    """An environment variable holds a value the platform cannot use."""


def envstr(name: str, default: str) -> str:
    """The variable's value; unset or empty (``DATABASE_URL=`` in a script) is the default."""
    return os.environ.get(name) or default


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"环境变量 {name} 应为 true/false，实际为 {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"环境变量 {name} 应为整数，实际为 {raw!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]
