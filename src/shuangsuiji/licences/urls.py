from django.urls import path

from shuangsuiji.licences import views

app_name = "licences"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/answer/", views.notice_answer, name="answer"),
    path("settings/", views.settings_page, name="settings"),
]
