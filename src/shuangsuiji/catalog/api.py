from ninja import Router

router = Router(tags=["抽查事项清单"])
