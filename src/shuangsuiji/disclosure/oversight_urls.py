"""Deadlines and overdue work (督办) [002 第三十二条]."""

from django.urls import path

from shuangsuiji.disclosure import oversight_views as views

app_name = "oversight"
urlpatterns = [
    path("", views.oversight_index, name="index"),
    path("overdue.xlsx", views.oversight_export, name="export"),
]
