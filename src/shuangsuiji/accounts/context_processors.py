from django.http import HttpRequest

from shuangsuiji.accounts.selectors import user_roles


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_roles": frozenset()}
    return {"my_roles": user_roles(user=user)}
