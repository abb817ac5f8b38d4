"""Writing to and verifying the audit trail.

Every service that changes state calls ``event_record`` inside its own
``transaction.atomic()``: the event is committed with the change or not at all. We never
use signals for this, they miss bulk writes and changes made outside a request.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from shuangsuiji.audit.models import ChainHead, Event

GENESIS_HASH = "0" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def canonical_bytes(event: Event) -> bytes:
    """The bytes the hash covers: sorted-key compact JSON of every field but ``hash``."""
    payload = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "department_id": event.department_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def compute_hash(event: Event) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def event_record(
    *,
    actor: Any | None,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    department: Any | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> Event:
    """Appends one event; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record 必须在业务事务内调用")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    # Lock the chain head: without it two concurrent writers would read the same last
    # hash and fork the chain (and collide on seq).
    head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    event = Event(
        seq=head.last_seq + 1,
        created_at=now,
        actor=user,
        actor_name=(str(user) if user else (actor if isinstance(actor, str) else "系统"))[:150],
        department_id=getattr(department, "pk", department),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:255],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        prev_hash=head.last_hash,
    )
    # Store exactly what we hash: round-trip the JSON payloads through the serialiser.
    event.before = (
        json.loads(json.dumps(event.before, ensure_ascii=False))
        if event.before is not None
        else None
    )
    event.after = (
        json.loads(json.dumps(event.after, ensure_ascii=False)) if event.after is not None else None
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    head.last_seq, head.last_hash = event.seq, event.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def chain_verify(*, batch_size: int = 5000) -> VerifyReport:
    """Walks the chain in seq order; reports the first event that does not fit."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_pk_seq = 0
    while True:
        batch = list(Event.objects.filter(seq__gt=last_pk_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return VerifyReport(
                    False,
                    checked,
                    expected_seq,
                    f"缺少第 {expected_seq} 号事件（已被删除或序号被改动）",
                )
            if event.prev_hash != prev_hash:
                return VerifyReport(
                    False,
                    checked,
                    event.seq,
                    f"第 {event.seq} 号事件的前序哈希与上一事件不符（事件被删除或重排）",
                )
            if compute_hash(event) != event.hash:
                return VerifyReport(
                    False,
                    checked,
                    event.seq,
                    f"第 {event.seq} 号事件的内容与其哈希不符（事件被篡改）",
                )
            prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
            last_pk_seq = event.seq
    head = ChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return VerifyReport(
            False,
            checked,
            checked + 1,
            f"链头记录第 {head.last_seq} 号事件，但只找到 {checked} 个（末尾事件被删除）",
        )
    return VerifyReport(True, checked)
