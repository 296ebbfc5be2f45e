from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.today, name="today"),
    path("tiep-nhan/", views.receive, name="receive"),
    path("tiep-nhan/han/", views.due_preview, name="due_preview"),
    path("thu-tuc/tim/", views.procedure_search, name="procedure_search"),
    path("ho-so/", views.dossier_list, name="dossier_list"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier_detail"),
    path("ho-so/<str:code>/bien-nhan/", views.receipt, name="receipt"),
    path("ho-so/<str:code>/mau-02/", views.form_02, name="form_02"),
    path("ho-so/<str:code>/mau-03/", views.form_03, name="form_03"),
    path("ho-so/<str:code>/thao-tac/<slug:action>/", views.dossier_action, name="dossier_action"),
]
