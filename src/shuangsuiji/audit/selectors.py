from django.db.models import Model, QuerySet

from shuangsuiji.audit.models import Event


def events_for_object(*, obj: Model) -> QuerySet[Event]:
    """The change history of one record (全程留痕), newest first."""
    return Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("-seq")
