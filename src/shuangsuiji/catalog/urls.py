from django.urls import path

from shuangsuiji.catalog import views

app_name = "catalog"
urlpatterns = [
    path("items/", views.item_list, name="item_list"),
    path("rules/", views.rules_page, name="rules"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/copy/", views.item_copy, name="item_copy"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/revise/", views.item_revise, name="item_revise"),
    path("items/<int:pk>/repeal/", views.item_repeal, name="item_repeal"),
]
