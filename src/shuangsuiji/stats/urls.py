from django.urls import path

from shuangsuiji.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.stats_page, name="page"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
]
