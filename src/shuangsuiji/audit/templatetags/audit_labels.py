from django import template

from shuangsuiji.audit.labels import action_label

register = template.Library()


@register.filter(name="action_label")
def action_label_filter(action: str) -> str:
    return action_label(action)
