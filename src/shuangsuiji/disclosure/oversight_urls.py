"""Deadlines and overdue work (督办) [002 第三十二条]."""

from django.urls import path  # noqa: F401

app_name = "oversight"
urlpatterns: list = []
