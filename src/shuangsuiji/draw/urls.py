from django.urls import path

from shuangsuiji.draw import views

app_name = "draw"
urlpatterns = [
    path("", views.draw_list, name="list"),
    path("visits/", views.visit_list, name="visits"),
    path("tasks/<int:pk>/", views.task_ceremony, name="task"),
    path("tasks/<int:pk>/pool-preview/", views.pool_preview, name="pool_preview"),
    path("tasks/<int:pk>/commit/", views.task_commit, name="commit"),
    path("tasks/<int:pk>/match/", views.task_match, name="match"),
    path("<int:pk>/", views.draw_detail, name="draw_detail"),
    path("<int:pk>/seed/", views.draw_seed, name="seed"),
    path("<int:pk>/confirm/", views.draw_confirm, name="confirm"),
    path("<int:pk>/witness/", views.witness_confirm, name="witness_confirm"),
    path("<int:pk>/void/", views.draw_void, name="void"),
    path("<int:pk>/dispatch/", views.draw_dispatch, name="dispatch"),
    path("<int:pk>/remedy/", views.draw_remedy, name="remedy"),
    path("<int:pk>/partner/", views.draw_partner_commit, name="partner_commit"),
    path("<int:pk>/present/", views.draw_present, name="present"),
    path("<int:pk>/record.<str:fmt>", views.draw_record, name="record"),
    path("<int:pk>/record/status/", views.draw_record_status, name="record_status"),
    path("<int:pk>/present/state/", views.draw_present_state, name="present_state"),
    path("<int:pk>/present/seed/", views.draw_present_seed, name="present_seed"),
    path("selections/<int:pk>/direct/", views.assignment_direct, name="direct"),
    path("assignments/<int:pk>/substitute/", views.substitution_request, name="substitute"),
    path("substitutions/<int:pk>/decide/", views.substitution_decide, name="decide"),
]
