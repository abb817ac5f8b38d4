"""The draw ceremony (摇号): commit → seed+draw → confirm (lock) → dispatch [draw-protocol §1,
002 第十六–二十二条]. States cannot be skipped; a void draw stays and a new draw needs a
new commit.

Every service: one ``transaction.atomic()``, its audit event inside it, the state row
locked with ``select_for_update()`` before it is read. Bad input raises a ``ServiceError``
before anything is written (or inside the transaction, which then rolls back).

The result is never computed here: ``protocol.draw_compute`` (pure) does it from the frozen
manifest bytes and the seed text, and we only persist what it returns.

The services are a package (split at ~500 lines, house style): ``commit``, ``ceremony``
(seed, confirm, void), ``substitution`` (更换, 直接委派) and ``dispatch``. Every public name
is re-exported here, so ``from shuangsuiji.draw import services; services.draw_commit(...)``
keeps working.
"""

from shuangsuiji.draw.services._common import chunked
from shuangsuiji.draw.services.ceremony import (
    draw_confirm,
    draw_seed,
    draw_void,
    witness_confirm,
    witness_list,
)
from shuangsuiji.draw.services.commit import draw_commit, match_commit, partner_match_commit
from shuangsuiji.draw.services.dispatch import DispatchReport, draw_dispatch
from shuangsuiji.draw.services.substitution import (
    assignment_direct,
    substitution_decide,
    substitution_request,
)

__all__ = [
    "DispatchReport",
    "assignment_direct",
    "chunked",
    "draw_commit",
    "draw_confirm",
    "draw_dispatch",
    "draw_seed",
    "draw_void",
    "match_commit",
    "partner_match_commit",
    "substitution_decide",
    "substitution_request",
    "witness_confirm",
    "witness_list",
]
