from django.urls import path

from shuangsuiji.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/", views.notice_open, name="open"),
    path("read-all/", views.notices_read_all, name="read_all"),
    path("setting/", views.notice_setting, name="setting"),
]
