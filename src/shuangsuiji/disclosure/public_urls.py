"""The public portal (一公开): no login. /public/draw/ (the draw verification site,
namespace ``public_draw``) is routed before this and is linked from here."""

from django.urls import path

from shuangsuiji.disclosure import public_views as views
from shuangsuiji.disclosure import site_views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.items, name="items"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("results/", views.results, name="results"),
    path("results/export.csv", views.results_export_csv, name="results_csv"),
    path("results/export.xlsx", views.results_export_xlsx, name="results_xlsx"),
    path("results/<int:pk>/", views.result, name="result"),
    path("results/<int:pk>/objection/", views.objection_submit, name="objection_submit"),
    path("entities/<str:code>/", views.entity, name="entity"),
    path("tasks/<str:code>/bulletin/", views.bulletin, name="bulletin"),
    path("corrections/", views.corrections, name="corrections"),
    path("objections/", views.objections, name="objections"),
    path("objections/how/", views.objection_guide, name="objection_guide"),
    path("objections/received/", views.objection_received, name="objection_received"),
    path("objections/lookup/", views.objection_lookup, name="objection_lookup"),
    path("site-logo/<slug:sha256>/", site_views.logo, name="site_logo"),
]
