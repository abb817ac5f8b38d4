"""Staff pages of 一公开: publication, corrections, objections."""

from django.urls import path  # noqa: F401

app_name = "disclosure"
urlpatterns: list = []
