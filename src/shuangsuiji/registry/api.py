from ninja import Router

router = Router(tags=["名录库"])
