"""The access log of ``ssj serve`` (gunicorn's logger class, see common/commands.py).

gunicorn writes the decoded request path as it came: a ``%0A`` in a URL would start a new,
forged log line and a ``%00`` would make the file binary. Every control character in a
logged value is written escaped instead (``\\x0a``), as Django's own log lines do."""

import re

from gunicorn.glogging import Logger

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _escape(value: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


class SafeAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {
            key: _escape(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
