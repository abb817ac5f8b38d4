from django.urls import path

from shuangsuiji.common.placeholders import not_yet

app_name = "registry"
urlpatterns = [
    path("entities/", not_yet, name="entity_list"),
    path("inspectors/", not_yet, name="inspector_list"),
]
