"""/api/: the versioned API, its OpenAPI schema and its documentation page (assets vendored by the sidecar)."""

from functools import cache

from django.urls import include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """The schema, generated once per process: it depends on the code only (one version, public, no `lang`), and
    generating it walks every view (~0,5 s)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return Response(
            data=_schema(self.generator_class),
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
        )


@cache
def _schema(generator_class):
    return generator_class().get_schema(request=None, public=True)


urlpatterns = [
    path("v1/", include("api.v1.urls")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
