"""The task page (planning) shows the case file's retention period, which the documents app
owns: a tag keeps planning from importing a layer above it."""

from django import template

from shuangsuiji.documents.selectors import Retention, retention_for

register = template.Library()


@register.simple_tag
def task_retention(task) -> Retention:
    return retention_for(task=task)
