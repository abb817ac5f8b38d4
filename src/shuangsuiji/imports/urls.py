"""The import pages, under /import/ (namespace ``imports``)."""

from django.urls import path

from shuangsuiji.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.start, name="start"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/confirm/", views.job_confirm, name="job_confirm"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("jobs/<int:pk>/errors.xlsx", views.job_error_report, name="job_error_report"),
    path("template/<str:kind>.xlsx", views.template, name="template"),
]
