"""Every kind of message Boucle sends, one template each."""

from __future__ import annotations

from enum import StrEnum

from domain.timeline import NoticeType


class MessageType(StrEnum):
    invitation = "invitation"
    invitation_updated = "invitation_updated"
    invitation_cancelled = "invitation_cancelled"
    task_assigned = "task_assigned"
    task_updated = "task_updated"
    task_cancelled = "task_cancelled"
    reminder = "reminder"
    due = "due"
    overdue = "overdue"
    escalation = "escalation"
    checkpoint = "checkpoint"
    plan_submit_request = "plan_submit_request"
    plan_approval_request = "plan_approval_request"
    plan_approved = "plan_approved"
    plan_returned = "plan_returned"
    values_request = "values_request"
    evaluation_ready = "evaluation_ready"
    review_request = "review_request"
    draft_ready = "draft_ready"
    plan_amended = "plan_amended"
    digest = "digest"
    delivery_failed = "delivery_failed"
    engine_fault = "engine_fault"
    sign_in = "sign_in"
    reschedule_requested = "reschedule_requested"
    reschedule_approved = "reschedule_approved"
    reschedule_refused = "reschedule_refused"


NOTICE_MESSAGES = {
    NoticeType.invitation: MessageType.invitation,
    NoticeType.reminder: MessageType.reminder,
    NoticeType.due: MessageType.due,
    NoticeType.overdue: MessageType.overdue,
    NoticeType.escalation: MessageType.escalation,
    NoticeType.checkpoint: MessageType.checkpoint,
}

CALENDAR_METHODS = {
    MessageType.invitation: "REQUEST",
    MessageType.invitation_updated: "REQUEST",
    MessageType.invitation_cancelled: "CANCEL",
}
