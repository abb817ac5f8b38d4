"""Staff pages of 一公开: publication, corrections, objections."""

from django.urls import path

from shuangsuiji.disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("", views.index, name="index"),
    path("pending/", views.pending, name="pending"),
    path("pending/publish/", views.publish_bulk, name="publish_bulk"),
    path("versions/<int:pk>/publish/", views.version_publish, name="publish"),
    path("versions/<int:pk>/withhold/", views.version_withhold, name="withhold"),
    path("versions/<int:pk>/sign/", views.version_sign, name="sign"),
    path("versions/<int:pk>/discard/", views.version_discard, name="discard"),
    path("published/", views.published, name="published"),
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("entities/<int:pk>/record/", views.entity_record, name="entity_record"),
    path("results/<int:pk>/correct/", views.result_correct, name="correct"),
    path("corrections/", views.corrections, name="corrections"),
    path("objections/", views.objections, name="objections"),
    path("objections/<int:pk>/", views.objection_detail, name="objection"),
    path("objections/<int:pk>/reveal/", views.objection_reveal, name="objection_reveal"),
    path("objections/<int:pk>/review/", views.objection_review, name="objection_review"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
]
