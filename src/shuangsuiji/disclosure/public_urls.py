"""The public portal (一公开): no login."""

from django.urls import path  # noqa: F401

app_name = "portal"
urlpatterns: list = []
