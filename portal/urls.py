from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from cases.views import lookup

from . import views

admin.site.site_header = "Quản trị Cổng Một cửa"
admin.site.site_title = "Quản trị Cổng Một cửa"
admin.site.index_title = "Danh mục và tài khoản"


@login_not_required
def favicon(request):
    """Browsers ask /favicon.ico of every page they have no icon link for (admin, plain errors): the static one."""
    response = redirect(static("favicon.ico"))
    response["Cache-Control"] = "max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("suc-khoe/", views.health, name="health"),
    path("quan-tri/", admin.site.urls),
    path("bao-cao/", include("reports.urls")),
    # The citizen's look-up: public, no login (cases/views/lookup.py).
    path("tra-cuu/", lookup.lookup_page, name="lookup"),
    path("tra-cuu/danh-gia/", lookup.lookup_rate, name="lookup_rate"),
    path("tra-cuu/<str:code>/", lookup.lookup_page, name="lookup_code"),
    # The link in every message to the applicant: stops them (cases/followup/messages.py).
    path("tra-cuu/<str:code>/ngung-nhan-tin/", lookup.lookup_stop, name="lookup_stop"),
    # Other systems: the API, its schema and documentation (api/urls.py).
    path("api/", include("api.urls")),
    path("", include("cases.urls")),
]
