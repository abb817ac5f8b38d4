from django.urls import path

from shuangsuiji.documents import views

app_name = "documents"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("visits/<int:pk>/<slug:slug>.pdf", views.visit_document, name="visit_document"),
    path("tasks/<int:pk>/archive.zip", views.task_archive, name="task_archive"),
    path("tasks/<int:pk>/<slug:slug>.pdf", views.task_batch, name="task_batch"),
    path("tasks/<int:pk>/<slug:slug>/status/", views.task_batch_status, name="task_batch_status"),
]
