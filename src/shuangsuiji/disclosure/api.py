"""API of disclosure (/api/v1/disclosure/)."""

from ninja import Router

router = Router(tags=["disclosure"])
