from django.urls import path, re_path

from . import catalogue, dossiers

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
    # Last: any other address answers as the API does (JSON), not with the site's page.
    re_path(r"^.*$", catalogue.NoSuchAddress.as_view()),
]
