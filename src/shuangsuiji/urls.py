from django.contrib import admin
from django.urls import include, path

from shuangsuiji import views as project_views
from shuangsuiji.accounts import audit_views
from shuangsuiji.api import api
from shuangsuiji.stats import public_views as stats_public_views

admin.site.site_header = "双随机、一公开 监管平台 · 系统管理"
admin.site.site_title = "系统管理"

urlpatterns = [
    path("", project_views.home, name="home"),
    path("search/", project_views.search, name="search"),
    path("accounts/", include("shuangsuiji.accounts.urls")),
    path("registry/", include("shuangsuiji.registry.urls")),
    path("catalog/", include("shuangsuiji.catalog.urls")),
    path("planning/", include("shuangsuiji.planning.urls")),
    path("draw/", include("shuangsuiji.draw.urls")),
    path("inspection/", include("shuangsuiji.inspection.urls")),
    path("disclosure/", include("shuangsuiji.disclosure.urls")),
    path("oversight/", include("shuangsuiji.disclosure.oversight_urls")),
    path("public/draw/", include("shuangsuiji.draw.public_urls")),
    path("public/stats/", stats_public_views.public_stats, name="public_stats"),
    path("public/", include("shuangsuiji.disclosure.public_urls")),
    path("import/", include("shuangsuiji.imports.urls")),
    path("notices/", include("shuangsuiji.notices.urls")),
    path("stats/", include("shuangsuiji.stats.urls")),
    path("documents/", include("shuangsuiji.documents.urls")),
    path("licences/", include("shuangsuiji.licences.urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/verify/", audit_views.audit_verify, name="audit_verify"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
