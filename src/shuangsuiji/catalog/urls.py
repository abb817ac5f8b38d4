from django.urls import path

from shuangsuiji.common.placeholders import not_yet

app_name = "catalog"
urlpatterns = [
    path("items/", not_yet, name="item_list"),
]
