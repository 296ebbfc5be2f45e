"""What the desk tells the layers above it, which it may not import: `step_recorded` is sent by every step of
cases.desk.steps inside the step's transaction, once its event is written (the follow-up's messages to the
applicant listen: cases.followup.messages, connected in cases.apps)."""

from django.dispatch import Signal

# sender: the Dossier class; dossier: the dossier as the step left it; event: the DossierEvent just written.
step_recorded = Signal()
