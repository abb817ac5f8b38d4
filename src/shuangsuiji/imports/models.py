"""The import job: one upload's preview or commit."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.imports.choices import ImportJobStatus, ImportKind


class ImportJob(models.Model):
    """导入任务: one run of an import uploaded through the web — a preview (预检, dry run)
    or the commit that follows it (``parent`` is the preview it confirms).

    Large files run in a background thread of the web process; the page polls the job.
    A job left ``running`` by a restart is marked failed when next looked at: its
    transaction died with the process, so the database was rolled back.
    """

    kind = models.CharField(_("名录"), max_length=16, choices=ImportKind.choices)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING
    )
    dry_run = models.BooleanField(_("仅预检"), default=True)
    skip_invalid = models.BooleanField(_("跳过错误行"), default=False)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commits",
        verbose_name=_("所确认的预检"),
    )
    # The kind's own choices (a plan table: {"plan": id, "replace": bool}); libraries: {}.
    options = models.JSONField(_("导入选项"), default=dict, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    file_sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    progress_done = models.BigIntegerField(_("已处理行数"), default=0)
    progress_total = models.BigIntegerField(_("总行数"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    message = models.TextField(_("说明"), blank=True)
    error_report_path = models.CharField(max_length=500, blank=True)
    runner_pid = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        db_table = "common_importjob"  # kept from when imports lived in common (issue 10)
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name} · {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)
