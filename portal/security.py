"""Accounts' safety: login throttling (django-axes: who is counted, what a locked-out visitor reads) and the
session idle timeout."""

import ipaddress
import time

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from cases.core.formats import moment


class LoginThrottle(AxesStandaloneBackend):
    """django-axes' check before the password one; it counts every login made through a web request.

    authenticate() without a request (the test client's login(), a shell) cannot come from outside, so it is
    passed on to the password check instead of raising as axes' own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (AttributeError, ValueError):
        return None


def client_ip(request):
    """The visitor's address: the one the TLS proxy appended to X-Forwarded-For when BEHIND_TLS_PROXY is set.

    Only the last entry is the proxy's own; earlier ones are whatever the client sent and are never trusted.
    """
    remote = request.META.get("REMOTE_ADDR")
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        return _address(forwarded[-1]) or _address(remote)
    return _address(remote)


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (429): how long, until when, and who can unlock sooner."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
        # Each further wrong try during the lock starts the wait again (axes' default), so this is from now.
        "retry_at": moment(timezone.now() + cool_off) if cool_off else "",
    }
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


# --- idle timeout ----------------------------------------------------------------------------------------------
SEEN = "_portal_seen"
REFRESH_SECONDS = 60


class IdleTimeout:
    """Ends a session SESSION_COOKIE_AGE after its last request (30 minutes by default), not after its login.

    What SESSION_SAVE_EVERY_REQUEST does, with one write a minute at most instead of one per request: the session
    is marked changed when it was last pushed forward a minute ago or more, and Django's session middleware then
    saves it with a new expiry. Placed after the authentication middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            _touch(request.session)
        return self.get_response(request)


def _touch(session):
    now = int(time.time())
    if now - session.get(SEEN, 0) >= REFRESH_SECONDS:
        session[SEEN] = now


@receiver(user_logged_in, dispatch_uid="portal.security.seen_at_login")
def _seen_at_login(sender, request, user, **kwargs):
    # The login writes the session anyway; stamping it here spares the first page a second write.
    if request is not None and hasattr(request, "session"):
        _touch(request.session)
