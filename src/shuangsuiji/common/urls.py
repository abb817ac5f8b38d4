"""The import pages, under /import/ (namespace ``imports``)."""

from django.urls import path

from shuangsuiji.common import import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.start, name="start"),
    path("jobs/", import_views.jobs, name="jobs"),
    path("jobs/<int:pk>/", import_views.job, name="job"),
    path("jobs/<int:pk>/progress/", import_views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/confirm/", import_views.job_confirm, name="job_confirm"),
    path("jobs/<int:pk>/errors.xlsx", import_views.job_error_report, name="job_error_report"),
    path("template/<str:kind>.xlsx", import_views.template, name="template"),
]
