from django.urls import path

from shuangsuiji.common.placeholders import not_yet

app_name = "imports"
urlpatterns = [
    path("", not_yet, name="start"),
]
