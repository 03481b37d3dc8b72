"""A ticket's statuses, who may move it where, and the sentence for every refusal.

The rules live here once, as data, so that the store's guarded UPDATEs, the buttons a
status shows and the refusals cannot drift apart::

    open ──claim──▶ claimed ──ask──▶ waiting_for_user ──(member answers)──▶ claimed
      │                 │                  │
      └────escalate─────┴──────────────────┴──▶ escalated ──claim/ask──▶ ...
    any active status ──close──▶ closed ──archive──▶ archived (channel deleted)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING = "waiting_for_user"
    ESCALATED = "escalated"
    CLOSED = "closed"
    ARCHIVED = "archived"


#: Statuses of a ticket someone still works on (counted against tickets.max_open_per_user).
ACTIVE: tuple[Status, ...] = (Status.OPEN, Status.CLAIMED, Status.WAITING, Status.ESCALATED)

LABELS: dict[Status, str] = {
    Status.OPEN: "Open",
    Status.CLAIMED: "Claimed",
    Status.WAITING: "Waiting for the member",
    Status.ESCALATED: "Escalated",
    Status.CLOSED: "Closed",
    Status.ARCHIVED: "Archived",
}


@dataclass(frozen=True)
class Transition:
    """One action: the statuses it starts from, where it leads, and who may take it."""

    action: str
    sources: frozenset[Status]
    target: Status
    who: str  # "staff", "staff_or_owner" or "member" (the ticket's own member, by writing)
    participle: str  # "claimed", for "it can no longer be claimed"
    staff_task: str = ""  # "claim tickets", for "Only staff can claim tickets."


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("claim", frozenset({Status.OPEN, Status.ESCALATED}), Status.CLAIMED, "staff", "claimed",
                   "claim tickets"),
        Transition("ask", frozenset({Status.CLAIMED, Status.ESCALATED}), Status.WAITING, "staff", "put on hold",
                   "ask the member"),
        Transition("reply", frozenset({Status.WAITING}), Status.CLAIMED, "member", "answered"),
        Transition("escalate", frozenset({Status.OPEN, Status.CLAIMED, Status.WAITING}), Status.ESCALATED,
                   "staff", "escalated", "escalate a ticket"),
        Transition("close", frozenset(ACTIVE), Status.CLOSED, "staff_or_owner", "closed"),
        Transition("archive", frozenset({Status.CLOSED}), Status.ARCHIVED, "staff", "archived", "archive tickets"),
    )
}

#: The buttons of the control message, by status, in the order they are shown.
ACTIONS_BY_STATUS: dict[Status, tuple[str, ...]] = {
    Status.OPEN: ("claim", "escalate", "close"),
    Status.CLAIMED: ("ask", "escalate", "close"),
    Status.WAITING: ("escalate", "close"),
    Status.ESCALATED: ("claim", "ask", "close"),
    Status.CLOSED: ("archive",),
    Status.ARCHIVED: (),
}


@dataclass(frozen=True)
class Ticket:
    """A ``support_tickets`` row."""

    id: int
    guild_id: int
    user_id: int
    username: str | None
    description: str
    status: Status
    created_at: datetime
    channel_id: int | None
    claimed_by: int | None
    claimed_at: datetime | None
    updated_at: datetime
    escalated_to: int | None
    archived_at: datetime | None
    archived_by: int | None
    message_id: int | None
    escalated_at: datetime | None
    escalated_by: int | None
    closed_at: datetime | None
    closed_by: int | None
    close_reason: str | None
    autoclose_at: datetime | None

    @classmethod
    def from_record(cls, record: Any) -> Ticket:
        values = {f.name: record[f.name] for f in fields(cls)}
        values["status"] = Status(values["status"])
        return cls(**values)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict (what the ``ticket_summarized`` hook receives)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["status"] = str(self.status)
        return values


#: The column list every query that returns tickets uses (the dataclass's fields, in order).
COLUMNS = ", ".join(f.name for f in fields(Ticket))


def refusal(action: str, ticket: Ticket) -> str:
    """Why ``action`` cannot happen to ``ticket`` in its present status."""
    number = f"Ticket #{ticket.id}"
    transition = TRANSITIONS[action]
    if ticket.status == Status.ARCHIVED:
        return f"{number} is archived."
    if ticket.status == Status.CLOSED and action != "archive":
        if action == "close":
            return f"{number} is already closed."
        return f"{number} is closed; it can no longer be {transition.participle}."
    if action == "claim" and ticket.claimed_by is not None:
        return f"{number} is already claimed by <@{ticket.claimed_by}>."
    if action == "ask":
        if ticket.status == Status.WAITING:
            return f"{number} is already waiting for the member."
        return f"Claim {number.lower()} before asking the member."
    if action == "escalate":
        return f"{number} is already escalated."
    if action == "archive":
        return f"Close {number.lower()} before archiving it."
    return f"{number} cannot be {transition.participle} while it is {LABELS[ticket.status].lower()}."
