"""Staff pages of inspection (检查实施)."""

from django.urls import path

from shuangsuiji.inspection import views

app_name = "inspection"
urlpatterns = [
    path("", views.visit_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("visits/<int:pk>/start/", views.visit_start, name="start"),
    path("visits/<int:pk>/findings/", views.findings_save, name="findings"),
    path("visits/<int:pk>/draft/", views.draft_save, name="draft"),
    path("visits/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("versions/<int:pk>/submit/", views.result_submit, name="submit"),
    path("versions/<int:pk>/sign/", views.result_sign, name="sign"),
    path("versions/<int:pk>/sign-paper/", views.result_sign_paper, name="sign_paper"),
    path("versions/<int:pk>/withdraw/", views.result_withdraw, name="withdraw"),
    path("versions/<int:pk>/approve/", views.result_approve, name="approve"),
    path("versions/<int:pk>/return/", views.result_return, name="return"),
    path("versions/<int:pk>/followups/", views.followup_add, name="followup_add"),
    path("followups/<int:pk>/recheck/", views.followup_recheck, name="followup_recheck"),
    path("followups/<int:pk>/penalty/", views.followup_penalty, name="followup_penalty"),
    path(
        "followups/<int:pk>/penalty-published/",
        views.followup_penalty_published,
        name="followup_penalty_published",
    ),
    path("followups/<int:pk>/close/", views.followup_close, name="followup_close"),
]
