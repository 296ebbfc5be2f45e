from django.urls import path, re_path

from . import catalogue, dossiers, feed, figures, lookup

app_name = "v1"

urlpatterns = [
    path("client/", catalogue.WhoAmI.as_view(), name="client"),
    path("units/", catalogue.UnitList.as_view(), name="units"),
    # Dossiers (api.v1.dossiers): list, receive, read, and each step by its English name.
    path("dossiers/", dossiers.DossierList.as_view(), name="dossiers"),
    path("dossiers/<str:code>/", dossiers.DossierDetail.as_view(), name="dossier"),
    *[
        path(f"dossiers/<str:code>/{slug}/", view.as_view(), name=f"dossier-{slug}")
        for slug, view in dossiers.step_views()
    ],
    # The change feed, figures, the catalogue and the public look-up.
    path("events/", feed.EventFeed.as_view(), name="events"),
    path("figures/tally/", figures.Tally.as_view(), name="figures-tally"),
    path("figures/service-index/", figures.ServiceIndex.as_view(), name="figures-service-index"),
    path("procedures/", catalogue.ProcedureList.as_view(), name="procedures"),
    path("procedures/<str:code>/process/", catalogue.ProcessOfProcedure.as_view(), name="procedure-process"),
    path("calendar/", catalogue.WorkingCalendar.as_view(), name="calendar"),
    path("due-time/", catalogue.DueTime.as_view(), name="due-time"),
    path("lookup/", lookup.PublicLookup.as_view(), name="lookup"),
    # Last: any other address answers as the API does (JSON), not with the site's page.
    re_path(r"^.*$", catalogue.NoSuchAddress.as_view()),
]
