from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """文书 (issue 13): the department's letterhead and its document numbers (文号), the
    ground the printed documents — 检查通知书, 现场检查记录, 责令改正通知书, 结果告知书 —
    stand on."""

    name = "shuangsuiji.documents"
    verbose_name = "文书"

    def ready(self) -> None:
        # Each document module registers itself with documents.visit_docs.REGISTRY.
        from shuangsuiji.documents import (  # noqa: F401
            notice,
            rectify_order,
            result_letter,
            site_record,
        )
