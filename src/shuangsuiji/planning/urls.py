from django.urls import path

from shuangsuiji.planning import views

app_name = "planning"
urlpatterns = [
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/rows/new/", views.plan_row_edit, name="plan_row_add"),
    path("plans/<int:pk>/rows/<int:row_pk>/", views.plan_row_edit, name="plan_row_edit"),
    path("plans/<int:pk>/rows/<int:row_pk>/delete/", views.plan_row_delete, name="plan_row_delete"),
    path("plans/<int:pk>/import/", views.plan_import, name="plan_import"),
    path("plans/<int:pk>/file/", views.plan_file, name="plan_file"),
    path("plans/<int:pk>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/adjust/", views.plan_adjust, name="plan_adjust"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("tasks/<int:pk>/partner/", views.task_partner, name="task_partner"),
]
