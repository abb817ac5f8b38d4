"""The JSON API at /api/v1/ (django-ninja). Each app contributes a router from its api.py."""

from ninja import NinjaAPI

from shuangsuiji.accounts.authentication import api_auth
from shuangsuiji.common.api import install_error_handlers

api = NinjaAPI(
    title="双随机、一公开 监管平台 API",
    version="1",
    description="一单两库、抽查计划与任务、摇号与结果公开。认证：会话 Cookie 或 `Authorization: Bearer <令牌>`。",
    auth=api_auth,
    urls_namespace="api",
)
install_error_handlers(api)

from shuangsuiji.catalog.api import router as catalog_router  # noqa: E402
from shuangsuiji.disclosure.api import router as disclosure_router  # noqa: E402
from shuangsuiji.documents.api import router as documents_router  # noqa: E402
from shuangsuiji.draw.api import pool_router  # noqa: E402
from shuangsuiji.draw.api import router as draw_router  # noqa: E402
from shuangsuiji.inspection.api import router as inspection_router  # noqa: E402
from shuangsuiji.licences.api import router as licences_router  # noqa: E402
from shuangsuiji.planning.api import router as planning_router  # noqa: E402
from shuangsuiji.registry.api import router as registry_router  # noqa: E402

api.add_router("/registry/", registry_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/planning/", planning_router)
api.add_router("/planning/", pool_router)  # the pool preview of a task (draw/pool.py)
api.add_router("/draw/", draw_router)
api.add_router("/inspection/", inspection_router)
api.add_router("/disclosure/", disclosure_router)
api.add_router("/documents/", documents_router)
api.add_router("/licences/", licences_router)
