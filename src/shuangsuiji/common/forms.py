"""Form helpers every app's forms share."""

from shuangsuiji.common.errors import ServiceError


class ServiceErrorsMixin:
    """Shows a service's refusal beside the fields it names (``ValidationFailed(field=…)`` or
    ``errors={field: [...]}``); a message naming no field of the form goes on top."""

    def add_service_errors(self, exc: ServiceError) -> None:
        if not exc.errors:
            self.add_error(None, exc.message)  # type: ignore[attr-defined]
            return
        for name, messages in exc.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)  # type: ignore[attr-defined]
