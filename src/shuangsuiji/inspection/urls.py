"""Staff pages of inspection (检查实施)."""

from django.urls import path  # noqa: F401

app_name = "inspection"
urlpatterns: list = []
