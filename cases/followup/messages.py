"""Tin nhắn cho người nộp: an applicant who agreed at receipt is told by SMS, Zalo or e-mail when the dossier is
received, when papers are missing, when it is refused, when the result is ready and when it will be late (the
apology and its new date): short, in Vietnamese, with the look-up link and a link to stop the messages.

A message's life (every one is kept: Message):
- the desk's step → `on_step`, inside the step's transaction: a row, "queued" (or "held" until the next opening
  when the office is closed and MESSAGES_ONLY_IN_WORKING_HOURS), and the task cases.send_message sent after commit
  (cases.core.queue). The step writes one row and never waits for, or fails with, a gateway or a broker.
- cases.send_message → `deliver`: claims the row for a lease (one UPDATE, so two workers never send it both),
  sends it through its channel's backend (cases.followup.channels): "sent"; or "queued" again after a gateway error
  or a timeout, retried with a doubling wait; or "failed" for good (refused, or MESSAGE_MAX_ATTEMPTS reached).
- the beat, every minute → `sweep`: releases the held messages at the opening and sends what no task took (a broker
  down at the step, a retry lost with it, a worker killed mid-send).

SMS: written without diacritics in the GSM 7-bit alphabet. With diacritics an SMS is UCS-2, 70 characters (67 per
part when split), so one of these messages — two links of ~60 characters each — would take 3 to 5 parts; without,
a part holds 160 (153 when split) and every message fits in two. Vietnamese read unaccented SMS daily (banks,
telecoms), and every phone shows GSM text. Should a very long code or public address still need a third part, the
SMS keeps the look-up link alone (its page links to the stop page). Zalo and e-mail keep the diacritics.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from cases.catalogue.calendar import calendar
from cases.core import contact, queue
from cases.core.formats import moment
from cases.core.text import strip_marks
from cases.desk.lookup import status_of
from cases.desk.states import EventKind, MessageChannel

from . import channels
from .models import PENDING, Message, MessageKind, MessageState

log = logging.getLogger(__name__)

SEND_TASK = "cases.send_message"
# The steps an applicant is told of; returning the result, a withdrawal happen with the applicant at the desk.
KIND_OF_EVENT = {
    EventKind.RECEIVED: MessageKind.RECEIVED,
    EventKind.SUPPLEMENT_REQUESTED: MessageKind.SUPPLEMENT,
    EventKind.REFUSED: MessageKind.REFUSED,
    EventKind.RESOLVED: MessageKind.RESOLVED,
    EventKind.APOLOGY: MessageKind.APOLOGY,
}
HEADLINES = {
    MessageKind.RECEIVED: "Đã tiếp nhận hồ sơ {code}, hẹn trả kết quả {due}.",
    MessageKind.SUPPLEMENT: "Hồ sơ {code} cần bổ sung giấy tờ.",
    MessageKind.REFUSED: "Hồ sơ {code} không được giải quyết.",
    MessageKind.RESOLVED: "Hồ sơ {code} đã có kết quả.",
    MessageKind.APOLOGY: "Xin lỗi Ông/Bà: hồ sơ {code} trả kết quả chậm, hẹn lại {due}.",
}
# Zalo and e-mail add the look-up's words for the state the step left (where to collect, what is missing …).
SAYS_THE_STATE = (MessageKind.SUPPLEMENT, MessageKind.REFUSED, MessageKind.RESOLVED)
STOPPED = "Người nộp đã ngừng nhận tin nhắn về hồ sơ này."

# GSM 03.38: the basic alphabet (one character each) and its extension (two each: an escape, then the character).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€"
GSM_SUBSTITUTES = {"–": "-", "—": "-", "«": '"', "»": '"', "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."}
SMS_PART, SMS_SPLIT_PART = 160, 153
SMS_MAX_PARTS = 2


# --- what is said ---------------------------------------------------------------------------------------------------
def gsm_text(text):
    """`text` without diacritics, in the GSM alphabet; a character it lacks becomes '?'."""
    plain = "".join(GSM_SUBSTITUTES.get(ch, ch) for ch in strip_marks(text))
    return "".join(ch if ch in GSM_BASIC or ch in GSM_EXTENDED else "?" for ch in plain)


def sms_parts(text):
    """How many SMS a GSM text takes (what the operator bills)."""
    length = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
    return 1 if length <= SMS_PART else math.ceil(length / SMS_SPLIT_PART)


def links(code):
    """The look-up's page of the dossier and the page that stops the messages, on the portal's public address."""
    base = settings.PUBLIC_URL
    return (
        f"{base}{reverse('lookup_code', kwargs={'code': code})}",
        f"{base}{reverse('lookup_stop', kwargs={'code': code})}",
    )


@dataclass(frozen=True)
class Wording:
    text: str
    params: dict


def wording(dossier, kind, channel, new_due_at=None):
    """What the applicant reads for `kind` on `channel`: one headline for every channel; Zalo and e-mail add the
    look-up's own words for the state (cases.desk.lookup.status_of) and the desk's name."""
    due = moment(new_due_at if kind == MessageKind.APOLOGY else dossier.due_at)
    headline = HEADLINES[kind].format(code=dossier.code, due=due)
    look_up, stop = links(dossier.code)
    desk = dossier.desk.name
    zns = {"ma_ho_so": dossier.code, "noi_dung": headline, "ngay_hen": due, "don_vi": desk, "tra_cuu": look_up}
    params = {"subject": f"[Một cửa] {headline.rstrip('.')}", "zns": zns}
    if channel == MessageChannel.SMS:
        text = gsm_text(f"{headline}\nTra cứu: {look_up}\nNgừng nhận tin: {stop}")
        if sms_parts(text) > SMS_MAX_PARTS:  # a very long code or address: the look-up page links to the stop page
            text = gsm_text(f"{headline}\nTra cứu, ngừng nhận tin: {look_up}")
        return Wording(text, params)
    detail = status_of(dossier).detail if kind in SAYS_THE_STATE else ""
    body = f"{desk}: {headline}" + (f" {detail}" if detail else "")
    return Wording(f"{body}\nTra cứu hồ sơ: {look_up}\nNgừng nhận tin nhắn: {stop}", params)


def address(dossier, channel):
    """Where a message on `channel` goes: the phone (SMS, Zalo: 10–11 digits) or the e-mail; '' when the applicant
    gave none, or a phone no gateway could dial."""
    if channel == MessageChannel.EMAIL:
        return dossier.applicant_email
    try:
        return contact.phone(dossier.applicant_phone)
    except contact.Invalid:
        return ""


# --- when ------------------------------------------------------------------------------------------------------------
def opening_after(now, work_calendar=None):
    """None within working hours (or when messages may go at any hour); else the next opening."""
    if not settings.MESSAGES_ONLY_IN_WORKING_HOURS:
        return None
    work_calendar = work_calendar or calendar()
    return work_calendar.next_opening(now) if work_calendar.outside_office_hours(now) else None


def retry_wait(attempts):
    """Seconds before attempt `attempts` + 1: MESSAGE_RETRY_SECONDS, doubling, at most an hour."""
    return min(settings.MESSAGE_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 3600)


def _lease():
    # Longer than a send may take (the gateway's timeout), so a live worker's message is never taken from it.
    return timedelta(seconds=3 * settings.MESSAGE_SEND_TIMEOUT + 30)


# --- written with the step ----------------------------------------------------------------------------------------
def on_step(sender, dossier, event, **kwargs):
    """A step was recorded (cases.desk.signals.step_recorded): write the message it owes, if any, and send it after
    the step commits. Nothing without the applicant's consent or an address for the chosen channel."""
    kind = KIND_OF_EVENT.get(event.kind)
    if kind is None or not dossier.takes_messages:
        return None
    channel = dossier.messages_channel
    to = address(dossier, channel)
    if not to:
        return None
    new_due_at = datetime.fromisoformat(event.after["return_promised_at"]) if kind == MessageKind.APOLOGY else None
    now = timezone.now()
    urgent = kind in settings.MESSAGE_URGENT_KINDS
    with transaction.atomic():  # a savepoint: a failure here leaves the step's own work intact
        said = wording(dossier, kind, channel, new_due_at)
        opening = None if urgent else opening_after(now)
        message = Message.objects.create(
            dossier=dossier, kind=kind, channel=channel, to=to, text=said.text, params=said.params, urgent=urgent,
            state=MessageState.HELD if opening else MessageState.QUEUED, created_at=now,
            next_attempt_at=opening or now + timedelta(seconds=settings.MESSAGE_SWEEP_AFTER),
        )  # fmt: skip
    if opening is None:
        # A broker that is down leaves it queued: the beat's sweep sends it (MESSAGE_SWEEP_AFTER).
        queue.send_after_commit(SEND_TASK, (message.pk,), ignore_result=True)
    return message


# --- sent by the task -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    state: str  # the message's state after this attempt; "" when there was nothing to do
    retry_in: int | None = None  # seconds, when the task should try again


NOTHING = Delivery("")


def _unclaimed(now):
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _claim(pk, now):
    """The message, taken for a lease, its attempts counted; None when it is not waiting or another worker has it."""
    taken = Message.objects.filter(_unclaimed(now), pk=pk, state=MessageState.QUEUED).update(
        claimed_until=now + _lease(), attempts=F("attempts") + 1
    )
    return Message.objects.select_related("dossier").get(pk=pk) if taken else None


def _end(message, state, **fields):
    fields = {"state": state, "claimed_until": None, **fields}
    Message.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)


def deliver(pk, now=None):
    """Send one queued message (the task cases.send_message). Safe to call twice: the claim lets one through."""
    now = now or timezone.now()
    opening = opening_after(now)
    if opening is not None:
        # A retry or a late task that falls outside working hours waits for the opening like a new message.
        held = Message.objects.filter(_unclaimed(now), pk=pk, state=MessageState.QUEUED, urgent=False).update(
            state=MessageState.HELD, next_attempt_at=opening
        )
        if held:
            return Delivery(MessageState.HELD)
    message = _claim(pk, now)
    if message is None:
        return NOTHING
    if not message.dossier.takes_messages:
        _end(message, MessageState.FAILED, error=STOPPED)
        return Delivery(MessageState.FAILED)
    try:
        provider_id = channels.backend(message.channel).send(message)
    except channels.Permanent as refused:
        _end(message, MessageState.FAILED, error=str(refused))
        return Delivery(MessageState.FAILED)
    except Exception as failure:  # noqa: BLE001 - Transient, or a fault of our own: both are worth another try
        if not isinstance(failure, channels.Transient):
            log.exception("Lỗi khi gửi tin nhắn %s.", pk)
        return _failed_attempt(message, str(failure) or type(failure).__name__)
    _end(message, MessageState.SENT, sent_at=timezone.now(), provider_id=provider_id[:120], error="")
    return Delivery(MessageState.SENT)


def _failed_attempt(message, error):
    if message.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
        _end(message, MessageState.FAILED, error=f"{error} (đã thử {message.attempts} lần)"[:1000])
        return Delivery(MessageState.FAILED)
    wait = retry_wait(message.attempts)
    # The task retries after `wait`; the sweep only after that and its own delay, as a safety net.
    later = timezone.now() + timedelta(seconds=wait + settings.MESSAGE_SWEEP_AFTER)
    _end(message, MessageState.QUEUED, error=error[:1000], next_attempt_at=later)
    return Delivery(MessageState.QUEUED, retry_in=wait)


# --- the beat ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Swept:
    released: int  # held messages whose opening came
    sent: int  # messages handed to the queue again


def sweep(now=None, limit=None):
    """Every minute: at the opening release the held messages; send every queued message whose time came and no
    worker holds (the oldest first, `limit` a run; the rest the next minute)."""
    now = now or timezone.now()
    limit = limit or settings.MESSAGE_SWEEP_BATCH
    released = 0
    if opening_after(now) is None:
        released = Message.objects.filter(state=MessageState.HELD, next_attempt_at__lte=now).update(
            state=MessageState.QUEUED, next_attempt_at=now
        )
    with transaction.atomic():
        due = list(
            Message.objects.filter(_unclaimed(now), state=MessageState.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        # Not handed out again before its task had time to run.
        Message.objects.filter(pk__in=due).update(next_attempt_at=now + timedelta(seconds=settings.MESSAGE_SWEEP_AFTER))
        for pk in due:
            queue.send_after_commit(SEND_TASK, (pk,), ignore_result=True)
    if released or due:
        log.info("Tin nhắn cho người nộp: %s tin đến giờ gửi, %s tin gửi lại vào hàng đợi.", released, len(due))
    return Swept(released, len(due))


# --- stopped by the applicant -----------------------------------------------------------------------------------------
def stop(dossier):
    """The applicant stops the messages (the look-up's link): recorded on the dossier, and what still waits is not
    sent. False when they were stopped already."""
    with transaction.atomic():
        stopped = dossier.stop_messages()
        Message.objects.filter(dossier=dossier, state__in=PENDING).update(
            state=MessageState.FAILED, error=STOPPED, claimed_until=None
        )
    return stopped
