from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created

from cases.core.text import SQLITE_FOLD, fold


def _stamp_last_login_without_history(sender, user, **kwargs):
    """Django's update_last_login, minus a history row: a login is not a change to the account."""
    from django.contrib.auth.models import update_last_login  # a models module: not importable before apps load

    user.skip_history_when_saving = True
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving


def _register_fold(sender, connection, **kwargs):
    # SQLite (development without PostgreSQL): the folded-name column calls fold() itself.
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FOLD, 1, fold, deterministic=True)


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Hồ sơ thủ tục hành chính"

    def ready(self):
        # django.contrib.auth connects update_last_login under this uid; replace it, keep the uid.
        if user_logged_in.disconnect(dispatch_uid="update_last_login"):
            user_logged_in.connect(_stamp_last_login_without_history, dispatch_uid="update_last_login")
        connection_created.connect(_register_fold, dispatch_uid="portal_fold")
        # Messages to the applicant follow the desk's steps; the desk sends the signal without knowing who listens.
        from cases.desk.signals import step_recorded
        from cases.followup.messages import on_step

        step_recorded.connect(on_step, dispatch_uid="messages_to_applicants")
