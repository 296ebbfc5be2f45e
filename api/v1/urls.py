from django.urls import path, re_path

from . import catalogue

app_name = "v1"

urlpatterns = [
    path("client/", catalogue.WhoAmI.as_view(), name="client"),
    path("units/", catalogue.UnitList.as_view(), name="units"),
    # Last: any other address answers as the API does (JSON), not with the site's page.
    re_path(r"^.*$", catalogue.NoSuchAddress.as_view()),
]
