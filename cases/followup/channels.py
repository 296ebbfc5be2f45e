"""How a message leaves the portal: one backend per channel, chosen in settings like Django's EMAIL_BACKEND
(MESSAGE_BACKENDS, e.g. "sms=sms_gateway,zalo=zalo_zns,email=email").

- console, file: nothing leaves the machine (the defaults); file appends one JSON line a message under
  MESSAGE_FILE_DIR (var/messages/), for a trial run or a demo.
- sms_gateway: an HTTP SMS gateway, a JSON POST to SMS_GATEWAY_URL with SMS_GATEWAY_TOKEN as a bearer token.
- zalo_zns: Zalo's notification service (ZNS): an approved template and its parameters, POSTed to ZALO_ZNS_URL
  with ZALO_ZNS_TOKEN (the official account's access token).
- email: Django's e-mail backend (EMAIL_BACKEND, DEFAULT_FROM_EMAIL).
A dotted path names any other class with a `send(message)` method.

`send(message)` returns the provider's id for the message ('' when there is none). It raises Transient when trying
again later may work (a timeout, a refused connection, a 5xx or a 429), Permanent when it will not (a 4xx, a number
the provider refuses, no template for the kind); the message says why in Vietnamese, for the dossier's page.
"""

import json
import smtplib
import sys
import urllib.error
import urllib.request
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.utils import timezone
from django.utils.module_loading import import_string

from cases.core.formats import number

# A gateway's answer is read up to this size: an id, or an error to record.
MAX_ANSWER = 64 * 1024


class Transient(Exception):
    """Worth trying again later: the gateway is down, slow or busy."""


class Permanent(Exception):
    """Trying again will not help: the request itself was refused."""


def backend(channel):
    """The backend configured for `channel` (MESSAGE_BACKENDS), ready to send."""
    name = settings.MESSAGE_BACKENDS.get(channel, "file")
    return (BACKENDS.get(name) or import_string(name))()


def international(phone):
    """0912345678 → 84912345678: how the gateways (and Zalo) write a Vietnamese number."""
    return f"84{phone[1:]}" if phone.startswith("0") else phone


class ConsoleBackend:
    """Prints the message (development: `make run` shows it in the worker's output)."""

    def send(self, message):
        stream = sys.stdout
        stream.write(f"--- {message.get_channel_display()} tới {message.to} (hồ sơ {message.dossier.code}) ---\n")
        stream.write(f"{message.text}\n\n")
        stream.flush()
        return ""


class FileBackend:
    """One JSON line a message, in a file a day under MESSAGE_FILE_DIR: what would have been sent."""

    def send(self, message):
        folder = settings.MESSAGE_FILE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.localtime()
        path = folder / f"{now:%Y-%m-%d}.jsonl"
        line = {
            "id": message.pk, "at": now.isoformat(), "dossier": message.dossier.code, "kind": message.kind,
            "channel": message.channel, "to": message.to, "text": message.text, "params": message.params,
        }  # fmt: skip
        with open(path, "a", encoding="utf-8") as target:
            target.write(json.dumps(line, ensure_ascii=False) + "\n")  # one write: lines of two workers never mix
        return f"{path.name}#{message.pk}"


class SmsGatewayBackend:
    """POST {"to": "849…", "text": …, "ref": "motcua-<id>"} with `Authorization: Bearer <token>`; the answer's "id"
    is kept. "ref" is the same on every attempt, so a gateway may drop a repeat sent after a timeout."""

    def send(self, message):
        answer = post_json(
            settings.SMS_GATEWAY_URL,
            {"to": international(message.to), "text": message.text, "ref": reference(message)},
            {"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"},
            "Cổng SMS",
        )
        return str(answer.get("id") or answer.get("message_id") or "")


class ZaloZnsBackend:
    """Zalo's ZNS: {"phone", "template_id", "template_data", "tracking_id"} with the `access_token` header. Zalo
    answers 200 with {"error": 0, "data": {"msg_id": …}}, or a non-zero error (a number without Zalo, a template
    not approved, a token expired): those are kept as permanent failures with Zalo's code and words."""

    def send(self, message):
        template = settings.ZALO_ZNS_TEMPLATES.get(message.kind)
        if not template:
            raise Permanent(f"Chưa khai báo mẫu ZNS cho loại tin «{message.get_kind_display()}» (ZALO_ZNS_TEMPLATES).")
        answer = post_json(
            settings.ZALO_ZNS_URL,
            {
                "phone": international(message.to),
                "template_id": template,
                "template_data": message.params.get("zns", {}),
                "tracking_id": reference(message),
            },  # fmt: skip
            {"access_token": settings.ZALO_ZNS_TOKEN},
            "Zalo ZNS",
        )
        error = answer.get("error", 0)
        if error not in (0, "0"):
            raise Permanent(f"Zalo ZNS từ chối (mã {error}): {answer.get('message', '')}"[:500])
        return str((answer.get("data") or {}).get("msg_id") or "")


class EmailBackend:
    """Through Django's EMAIL_BACKEND; the Message-ID is the provider id. A refused address is permanent."""

    def send(self, message):
        msgid = make_msgid(domain=DNS_NAME)
        email = EmailMessage(
            message.params.get("subject", ""), message.text, to=[message.to], headers={"Message-ID": msgid}
        )
        try:
            email.send(fail_silently=False)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as refused:
            raise Permanent(f"Máy chủ thư từ chối địa chỉ: {refused}"[:500]) from refused
        except (smtplib.SMTPException, OSError) as failure:
            raise Transient(f"Không gửi được thư: {failure}"[:500]) from failure
        return msgid


def _detail(raw):
    """A gateway's error answer in a few words: its "message" or "error" when it is JSON, else its start."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(answer, dict):
        for key in ("message", "error", "description"):
            if isinstance(answer.get(key), str):
                return answer[key][:300]
    return json.dumps(answer, ensure_ascii=False)[:300]


def _seconds(value):
    return number(value, 0 if value == int(value) else 1)


def reference(message):
    return f"motcua-{message.pk}"


def post_json(url, payload, headers, what):
    """POST JSON, return the JSON answer ({} when it is not JSON: the gateway took the message all the same)."""
    if not url:
        raise Permanent(f"Chưa cấu hình địa chỉ {what}.")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.MESSAGE_SEND_TIMEOUT) as response:
            raw = response.read(MAX_ANSWER)
    except urllib.error.HTTPError as error:
        detail = _detail(error.read(MAX_ANSWER))
        if error.code >= 500 or error.code in (408, 429):
            raise Transient(f"{what} lỗi {error.code}: {detail}"[:500]) from error
        raise Permanent(f"{what} từ chối ({error.code}): {detail}"[:500]) from error
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out (TimeoutError is an OSError)
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise Transient(f"{what} không trả lời sau {_seconds(settings.MESSAGE_SEND_TIMEOUT)} giây") from error
        raise Transient(f"Không kết nối được {what} ({reason})"[:500]) from error
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


BACKENDS = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "sms_gateway": SmsGatewayBackend,
    "zalo_zns": ZaloZnsBackend,
    "email": EmailBackend,
}
