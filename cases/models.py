"""The models of the `cases` app, defined in their rooms; Django finds them here (and migrations name two
upload paths here). Product code imports each model from its room, never from this module."""

from cases.catalogue.models import (  # noqa: F401
    CalendarSource,
    Field,
    Holiday,
    Level,
    OnlineLevel,
    Performer,
    Procedure,
    Process,
    ProcessStep,
    RequiredPaper,
    Unit,
    UnitKind,
    UnitQuerySet,
    WorkdayOverride,
)
from cases.core.models import Job, JobKind, JobState, job_upload_to  # noqa: F401
from cases.desk.models import (  # noqa: F401
    Apology,
    ClockStop,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierStep,
    Membership,
    Rating,
)
from cases.desk.states import (  # noqa: F401
    CLOCK_STOPPED_STATES,
    ENDED_WITHOUT_RESULT,
    OPEN_STATES,
    Channel,
    EventKind,
    MessageChannel,
    PauseKind,
    Role,
    State,
)
from cases.followup.models import (  # noqa: F401
    Explanation,
    ExplanationRequest,
    Message,
    MessageKind,
    MessageState,
    explanation_upload_to,
)

# Migration 0005 names the upload path of the jobs' former model.
import_upload_to = job_upload_to
