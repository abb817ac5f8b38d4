from django.urls import path

from shuangsuiji.stats import views

app_name = "stats"

urlpatterns = [path("", views.stats_page, name="page")]
