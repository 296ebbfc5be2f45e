"""Messages to the applicant (SMS, Zalo, e-mail): what they say, when they go, how they are retried, how the
applicant stops them. Gateways are real HTTP servers on loopback; the retries run on a real Celery worker."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from cases.desk.lookup import lookup_key
from cases.followup import messages
from cases.models import Dossier, Message
from tests.conftest import PASSWORD, vn
from tests.workers import wait_until

PUBLIC_URL = "https://dichvucong.dienbien.gov.vn"
MONDAY_MORNING = vn(2024, 3, 11, 9, 0)  # a working day, within office hours
FRIDAY_EVENING = vn(2024, 3, 8, 18, 30)  # after closing; the next opening is Monday 11/03 07:00
CLOSED_PORT = "http://127.0.0.1:9/sms"  # discard port: nothing listens
CLOSED_PORT_BROKER = "redis://127.0.0.1:6399/0"


@pytest.fixture(autouse=True)
def _messages_settings(settings, tmp_path):
    settings.PUBLIC_URL = PUBLIC_URL
    settings.MESSAGE_FILE_DIR = tmp_path / "messages"
    settings.MESSAGE_RETRY_SECONDS = 1
    settings.MESSAGE_SWEEP_AFTER = 120
    settings.MESSAGE_URGENT_KINDS = []
    cache.clear()
    yield
    cache.clear()


class Gateway:
    """A gateway standing in for the SMS provider or Zalo: answers POSTs from a script, records what it got."""

    def __init__(self):
        self.script = []  # (status, JSON answer, seconds to wait before answering)
        self.received = []
        self.url = ""

    def answer(self, *replies):
        self.script.extend(replies)

    def next_reply(self):
        if self.script:
            return self.script.pop(0)
        return 200, {"id": f"gw-{len(self.received)}"}, 0


@pytest.fixture
def gateway(settings):
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            headers = {name.lower(): value for name, value in self.headers.items()}
            state.received.append({"path": self.path, "headers": headers, "body": body})
            status, answer, delay = state.next_reply()
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer).encode())
            except OSError:  # the portal gave up waiting (a timeout): nobody reads the answer
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    settings.MESSAGE_BACKENDS = {"sms": "sms_gateway", "zalo": "zalo_zns", "email": "email"}
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = f"{state.url}/sms", "bi-mat-sms"
    settings.ZALO_ZNS_URL, settings.ZALO_ZNS_TOKEN = f"{state.url}/zns", "bi-mat-zalo"
    settings.ZALO_ZNS_TEMPLATES = {"tiep_nhan": "301", "co_ket_qua": "305"}
    yield state
    server.shutdown()
    server.server_close()


def receive(units, procedures, cast, channel="sms", phone="0912 345 678", email="", code="", consent=True):
    return Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo", applicant_phone=phone,
        applicant_email=email, messages_consent=consent, messages_channel=channel, by=cast["desk_pu_hong"], code=code,
    )  # fmt: skip


# --- what the applicant reads -------------------------------------------------------------------------------------
@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_receipt_is_told_by_a_short_sms_without_diacritics_with_the_look_up_and_stop_links(
    units, procedures, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        dossier = receive(units, procedures, cast)

    message = Message.objects.get()
    assert (message.kind, message.channel, message.to, message.state) == ("tiep_nhan", "sms", "0912345678", "queued")
    assert message.text == (
        f"Da tiep nhan ho so {dossier.code}, hen tra ket qua {message.params['zns']['ngay_hen']}.\n"
        f"Tra cuu: {PUBLIC_URL}/tra-cuu/{dossier.code}/\n"
        f"Ngung nhan tin: {PUBLIC_URL}/tra-cuu/{dossier.code}/ngung-nhan-tin/"
    )
    assert message.text.isascii() and messages.sms_parts(message.text) == 2
    assert len(queued) == 1  # the send waits for the commit


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_national_portal_code_fits_in_two_sms_and_the_longest_code_too_with_one_link(
    units, procedures, cast, settings
):
    settings.PUBLIC_URL = "https://dichvucong.dienbien.gov.vn:8443/motcua"
    national = receive(units, procedures, cast, code="000.00.19.H56-240311-0001")
    longest = receive(units, procedures, cast, code="000.00.19.H56-240311-" + "9" * 39)  # 60: the column's width
    national_text, longest_text = (Message.objects.get(dossier=d).text for d in (national, longest))

    assert messages.sms_parts(national_text) == messages.sms_parts(longest_text) == 2
    assert national_text.endswith(f"/tra-cuu/{national.code}/ngung-nhan-tin/")
    assert longest_text.endswith(f"Tra cuu, ngung nhan tin: {settings.PUBLIC_URL}/tra-cuu/{longest.code}/")


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_zalo_and_e_mail_keep_the_diacritics_and_say_where_to_collect_the_result(units, procedures, cast):
    dossier = receive(units, procedures, cast, channel="zalo")
    dossier.resolve(by=cast["desk_pu_hong"])

    resolved = Message.objects.get(kind="co_ket_qua")
    assert resolved.text.startswith(f"UBND xã Pú Hồng: Hồ sơ {dossier.code} đã có kết quả. Mời Ông/Bà mang giấy")
    assert f"Tra cứu hồ sơ: {PUBLIC_URL}/tra-cuu/{dossier.code}/" in resolved.text
    assert resolved.params["zns"]["ma_ho_so"] == dossier.code


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_each_step_the_applicant_must_know_of_gets_one_message_and_no_other(units, procedures, cast):
    officer = cast["desk_pu_hong"]
    first = receive(units, procedures, cast)
    first.request_supplement(by=officer, missing_papers="Bản sao sổ đỏ")
    first.receive_supplement(by=officer)
    first.pause(by=officer, reason="Chờ xác minh")
    first.resume(by=officer)
    first.issue_apology(by=officer, reason="Chờ xác minh thực địa", new_due_at=first.due_at + timedelta(days=3))
    first.resolve(by=officer)
    first.return_result(by=officer)
    second = receive(units, procedures, cast)
    second.refuse(by=officer, reason="Không thuộc thẩm quyền")

    assert list(Message.objects.filter(dossier=first).order_by("id").values_list("kind", flat=True)) == [
        "tiep_nhan", "bo_sung", "xin_loi", "co_ket_qua",
    ]  # fmt: skip
    assert list(Message.objects.filter(dossier=second).order_by("id").values_list("kind", flat=True)) == [
        "tiep_nhan", "tu_choi",
    ]  # fmt: skip
    apology = Message.objects.get(kind="xin_loi")
    assert apology.text.startswith(f"Xin loi Ong/Ba: ho so {first.code} tra ket qua cham, hen lai ")


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_nothing_is_sent_without_consent_nor_by_sms_to_an_applicant_without_a_phone(units, procedures, cast):
    silent = receive(units, procedures, cast, consent=False)
    phoneless = receive(units, procedures, cast, phone="")
    silent.resolve(by=cast["desk_pu_hong"])
    phoneless.resolve(by=cast["desk_pu_hong"])
    assert not Message.objects.exists()


def test_the_receipt_form_asks_for_consent_and_the_address_its_channel_needs(client, units, procedures, cast):
    client.login(username="motcua.puhong", password=PASSWORD)
    form = {"procedure": procedures["land"].pk, "applicant_name": "Giàng A Páo", "channel": "truc_tiep"}
    page = client.get(reverse("cases:receive")).content.decode()
    assert "Đồng ý nhận tin nhắn về hồ sơ" in page and "Thư điện tử" in page

    no_channel = client.post(reverse("cases:receive"), {**form, "messages_consent": "on"})
    assert "Chọn cách nhận tin nhắn" in no_channel.content.decode()
    no_phone = client.post(reverse("cases:receive"), {**form, "messages_consent": "on", "messages_channel": "sms"})
    assert "Cần số điện thoại để gửi tin nhắn qua Tin nhắn SMS" in no_phone.content.decode()
    by_email = {**form, "messages_consent": "on", "messages_channel": "email"}
    bad_email = client.post(reverse("cases:receive"), {**by_email, "applicant_email": "a@"})
    assert bad_email.status_code == 200 and not Dossier.objects.exists()

    done = client.post(reverse("cases:receive"), {**by_email, "applicant_email": "pao@example.vn"})
    assert done.status_code == 302
    dossier = Dossier.objects.get()
    assert (dossier.messages_consent, dossier.messages_channel, dossier.applicant_email) == (
        True, "email", "pao@example.vn",
    )  # fmt: skip
    # A channel chosen without the tick is not consent.
    client.post(reverse("cases:receive"), {**form, "messages_channel": "email", "applicant_email": "x@example.vn"})
    assert Dossier.objects.exclude(pk=dossier.pk).get().messages_channel == ""


# --- sending: a real gateway, a real worker ----------------------------------------------------------------------
@pytest.fixture
def worker(worker_app, close_worker_connections, settings):
    """A Celery worker on the suite's own Redis; messages go at any hour so the worker's clock needs no travel."""
    settings.MESSAGES_ONLY_IN_WORKING_HOURS = False
    worker_app.set_current()
    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        yield worker_app


def settled(pk):
    return wait_until(
        lambda: Message.objects.filter(pk=pk, state__in=["sent", "failed"]).first(), "the message to be sent or failed"
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_gateway_gets_the_sms_with_its_token_and_its_id_is_kept(gateway, worker, units, procedures, cast):
    dossier = receive(units, procedures, cast)
    message = settled(Message.objects.get(dossier=dossier).pk)

    assert (message.state, message.attempts, message.provider_id, message.error) == ("sent", 1, "gw-1", "")
    [request] = gateway.received
    assert request["path"] == "/sms" and request["headers"]["authorization"] == "Bearer bi-mat-sms"
    assert request["body"] == {"to": "84912345678", "text": message.text, "ref": f"motcua-{message.pk}"}
    assert message.sent_at is not None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_gateway_error_is_retried_and_the_second_attempt_goes_through(gateway, worker, units, procedures, cast):
    gateway.answer((500, {"error": "quá tải"}, 0))
    dossier = receive(units, procedures, cast)
    message = settled(Message.objects.get(dossier=dossier).pk)

    assert (message.state, message.attempts, message.provider_id) == ("sent", 2, "gw-2")
    assert [r["body"]["ref"] for r in gateway.received] == [f"motcua-{message.pk}"] * 2  # the same reference


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_gateway_that_never_answers_is_given_up_after_the_last_attempt(
    gateway, worker, units, procedures, cast, settings
):
    settings.MESSAGE_SEND_TIMEOUT, settings.MESSAGE_MAX_ATTEMPTS = 0.5, 2
    gateway.answer((200, {"id": "late"}, 3), (200, {"id": "late"}, 3))
    dossier = receive(units, procedures, cast)
    message = settled(Message.objects.get(dossier=dossier).pk)

    assert (message.state, message.attempts, message.provider_id) == ("failed", 2, "")
    assert message.error == "Cổng SMS không trả lời sau 0,5 giây (đã thử 2 lần)"
    assert len(gateway.received) == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_number_the_gateway_refuses_fails_at_once_without_retrying(gateway, worker, units, procedures, cast):
    gateway.answer((400, {"error": "số không hợp lệ"}, 0))
    dossier = receive(units, procedures, cast)
    message = settled(Message.objects.get(dossier=dossier).pk)

    assert (message.state, message.attempts) == ("failed", 1)
    assert message.error.startswith("Cổng SMS từ chối (400)") and "số không hợp lệ" in message.error
    time.sleep(1.5)  # longer than a retry would wait
    assert len(gateway.received) == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_desk_receives_while_the_gateway_is_down(client, worker, units, procedures, cast, settings):
    settings.MESSAGE_BACKENDS = {**settings.MESSAGE_BACKENDS, "sms": "sms_gateway"}
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN, settings.MESSAGE_MAX_ATTEMPTS = CLOSED_PORT, "t", 2
    client.force_login(cast["desk_pu_hong"])
    form = {
        "procedure": procedures["land"].pk, "applicant_name": "Giàng A Páo", "applicant_phone": "0912345678",
        "channel": "truc_tiep", "messages_consent": "on", "messages_channel": "sms",
    }  # fmt: skip

    response = client.post(reverse("cases:receive"), form)

    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/ho-so/{dossier.code}/bien-nhan/")
    message = settled(Message.objects.get(dossier=dossier).pk)
    assert (message.state, message.attempts) == ("failed", 2)
    assert "Không kết nối được Cổng SMS" in message.error
    # The officer sees what became of it on the dossier's page.
    page = client.get(reverse("cases:dossier_detail", kwargs={"code": dossier.code})).content.decode()
    assert "Tin nhắn cho người nộp" in page and "Không gửi được" in page and "Không kết nối được Cổng SMS" in page


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_message_written_while_the_broker_was_down_is_sent_by_the_sweep(
    gateway, worker_app, close_worker_connections, broker_at, units, procedures, cast, settings
):
    settings.MESSAGES_ONLY_IN_WORKING_HOURS, settings.MESSAGE_SWEEP_AFTER = False, 0
    broker_at(CLOSED_PORT_BROKER)
    dossier = receive(units, procedures, cast)  # the step succeeds; its task never reaches the broker
    message = Message.objects.get(dossier=dossier)
    assert message.state == "queued" and not gateway.received

    worker_app.set_current()
    worker_app.set_default()
    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        worker_app.tasks["cases.send_pending_messages"].apply_async().get(timeout=30)
        message = settled(message.pk)

    assert (message.state, message.attempts) == ("sent", 1) and len(gateway.received) == 1


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_task_delivered_twice_sends_the_message_once(gateway, units, procedures, cast):
    receive(units, procedures, cast)
    pk = Message.objects.get().pk
    assert [messages.deliver(pk).state, messages.deliver(pk).state] == ["sent", ""]
    assert len(gateway.received) == 1


def test_a_worker_that_died_mid_send_lets_the_sweep_send_it_again(
    gateway, units, procedures, cast, eager, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        receive(units, procedures, cast)
        message = Message.objects.get()
        assert messages._claim(message.pk, MONDAY_MORNING) is not None  # taken; its worker is then killed
    with time_machine.travel(MONDAY_MORNING + timedelta(seconds=50), tick=False):
        assert messages.sweep() == messages.Swept(0, 0)  # still within its lease and its sweep delay
    later = MONDAY_MORNING + timedelta(minutes=3)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert messages.sweep() == messages.Swept(0, 1)
    message.refresh_from_db()
    assert (message.state, message.attempts, len(gateway.received)) == ("sent", 2, 1)


# --- Zalo and e-mail -----------------------------------------------------------------------------------------------
@time_machine.travel(MONDAY_MORNING, tick=False)
def test_zalo_gets_the_template_and_its_parameters_and_a_refusal_is_kept(gateway, units, procedures, cast):
    gateway.answer((200, {"error": 0, "message": "Success", "data": {"msg_id": "zalo-1"}}, 0))
    gateway.answer((200, {"error": -118, "message": "Zalo account not existed"}, 0))
    dossier = receive(units, procedures, cast, channel="zalo")
    first = messages.deliver(Message.objects.get().pk)
    dossier.resolve(by=cast["desk_pu_hong"])
    second = messages.deliver(Message.objects.get(kind="co_ket_qua").pk)

    assert (first.state, second.state) == ("sent", "failed")
    request = gateway.received[0]
    assert request["path"] == "/zns" and request["headers"]["access_token"] == "bi-mat-zalo"
    assert request["body"]["phone"] == "84912345678" and request["body"]["template_id"] == "301"
    assert request["body"]["template_data"]["ma_ho_so"] == dossier.code
    assert Message.objects.get(kind="tiep_nhan").provider_id == "zalo-1"
    assert Message.objects.get(kind="co_ket_qua").error == "Zalo ZNS từ chối (mã -118): Zalo account not existed"


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_e_mail_goes_through_djangos_backend(gateway, units, procedures, cast):
    dossier = receive(units, procedures, cast, channel="email", email="pao@example.vn")
    assert messages.deliver(Message.objects.get().pk).state == "sent"
    [email] = mail.outbox
    assert email.to == ["pao@example.vn"] and email.subject.startswith(f"[Một cửa] Đã tiếp nhận hồ sơ {dossier.code}")
    assert f"{PUBLIC_URL}/tra-cuu/{dossier.code}/ngung-nhan-tin/" in email.body
    assert Message.objects.get().provider_id == email.extra_headers["Message-ID"]


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_by_default_nothing_leaves_the_machine_the_message_is_written_to_a_file(
    units, procedures, cast, settings, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = receive(units, procedures, cast)
    [written] = (settings.MESSAGE_FILE_DIR / "2024-03-11.jsonl").read_text().splitlines()
    assert json.loads(written)["dossier"] == dossier.code
    assert Message.objects.get().state == "sent"


# --- working hours ------------------------------------------------------------------------------------------------
def test_a_message_outside_working_hours_is_held_until_the_next_opening(
    units, procedures, cast, eager, settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(FRIDAY_EVENING, tick=False), django_capture_on_commit_callbacks(execute=True) as sent:
        receive(units, procedures, cast)
    message = Message.objects.get()
    assert (message.state, message.next_attempt_at, len(sent)) == ("held", vn(2024, 3, 11, 7, 0), 0)

    with time_machine.travel(vn(2024, 3, 9, 10, 0), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert messages.sweep() == messages.Swept(0, 0)  # Saturday: still held
    with time_machine.travel(vn(2024, 3, 11, 7, 0), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert messages.sweep() == messages.Swept(1, 1)
    message.refresh_from_db()
    assert (message.state, message.sent_at) == ("sent", vn(2024, 3, 11, 7, 0))


def test_an_urgent_kind_goes_at_any_hour_and_the_setting_can_lift_the_rule(units, procedures, cast, settings):
    settings.MESSAGE_URGENT_KINDS = ["bo_sung"]
    with time_machine.travel(MONDAY_MORNING, tick=False):
        dossier = receive(units, procedures, cast)
    with time_machine.travel(vn(2024, 3, 11, 20, 0), tick=False):
        dossier.request_supplement(by=cast["desk_pu_hong"], missing_papers="Bản sao sổ đỏ")
        settings.MESSAGES_ONLY_IN_WORKING_HOURS = False
        dossier.receive_supplement(by=cast["desk_pu_hong"])
        dossier.resolve(by=cast["desk_pu_hong"])
    states = dict(Message.objects.values_list("kind", "state"))
    assert states == {"tiep_nhan": "queued", "bo_sung": "queued", "co_ket_qua": "queued"}
    assert Message.objects.get(kind="bo_sung").urgent


def test_a_retry_that_falls_after_closing_waits_for_the_opening(gateway, units, procedures, cast):
    with time_machine.travel(vn(2024, 3, 8, 16, 59), tick=False):
        receive(units, procedures, cast)
    with time_machine.travel(vn(2024, 3, 8, 17, 5), tick=False):
        assert messages.deliver(Message.objects.get().pk).state == "held"
    message = Message.objects.get()
    assert (message.attempts, message.next_attempt_at, gateway.received) == (0, vn(2024, 3, 11, 7, 0), [])


# --- stopping them ------------------------------------------------------------------------------------------------
@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_applicant_stops_the_messages_with_the_link_and_the_phones_digits(client, units, procedures, cast):
    dossier = receive(units, procedures, cast)
    stop_url = reverse("lookup_stop", kwargs={"code": dossier.code})
    assert stop_url == f"/tra-cuu/{dossier.code}/ngung-nhan-tin/"

    asked = client.get(stop_url)  # a link previewer opening it changes nothing
    assert asked.status_code == 200 and "4 số cuối" in asked.content.decode()
    assert Dossier.objects.get().messages_stopped_at is None
    wrong = client.post(stop_url, {"answer": "0000"})
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in wrong.content.decode()

    done = client.post(stop_url, {"answer": "5678"})
    assert done.status_code == 200 and "Đã ngừng gửi tin nhắn" in done.content.decode()
    again = client.post(stop_url, {"answer": lookup_key(dossier.code)})
    assert "đã ngừng nhận tin nhắn về hồ sơ này từ 11/03/2024 09:00" in again.content.decode()

    dossier.refresh_from_db()
    dossier.resolve(by=cast["desk_pu_hong"])
    assert list(Message.objects.values_list("kind", "state", "error")) == [
        ("tiep_nhan", "failed", "Người nộp đã ngừng nhận tin nhắn về hồ sơ này.")
    ]
    assert dossier.events.filter(kind="messages_stopped").count() == 1


def test_guessing_the_stop_links_digits_is_throttled_like_the_look_up(client, units, procedures, cast, settings):
    settings.LOOKUP_FAILURES_PER_CODE = 5
    with time_machine.travel(MONDAY_MORNING, tick=False):
        dossier = receive(units, procedures, cast)
    stop_url = reverse("lookup_stop", kwargs={"code": dossier.code})
    statuses = [client.post(stop_url, {"answer": f"{n:04d}"}, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(8)]
    assert statuses == [404] * 5 + [429] * 3
    assert client.post(stop_url, {"answer": "5678"}).status_code == 429
    assert Dossier.objects.get().messages_stopped_at is None


# --- the office's view ------------------------------------------------------------------------------------------
@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_dossier_page_and_the_admin_list_every_message_read_only(client, units, procedures, cast):
    dossier = receive(units, procedures, cast)
    client.force_login(cast["desk_pu_hong"])
    page = client.get(reverse("cases:dossier_detail", kwargs={"code": dossier.code})).content.decode()
    assert "Người nộp đồng ý nhận tin nhắn qua Tin nhắn SMS" in page and "Chờ gửi" in page

    client.force_login(cast["admin"])
    listing = client.get(reverse("admin:cases_message_changelist"))
    assert listing.status_code == 200 and dossier.code in listing.content.decode()
    assert client.get(reverse("admin:cases_message_add")).status_code == 403
    change = client.get(reverse("admin:cases_message_change", args=[Message.objects.get().pk])).content.decode()
    assert 'name="_save"' not in change
