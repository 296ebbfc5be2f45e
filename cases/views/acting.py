"""What the desk's actions and the process's moves share: make a step of the dossier, and say why it was refused."""

from django.contrib import messages

from cases.desk.steps import ActionRefused


def act(request, dossier, method, arguments):
    """Call the dossier's step `method` as the user; a refusal becomes error messages. True when it was made."""
    try:
        getattr(dossier, method)(by=request.user, **arguments)
    except ActionRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
        return False
    return True
