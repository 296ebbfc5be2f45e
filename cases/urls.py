from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.today, name="today"),
    path("tiep-nhan/", views.receive, name="receive"),
    path("tiep-nhan/han/", views.due_preview, name="due_preview"),
    path("thu-tuc/tim/", views.procedure_search, name="procedure_search"),
    path("ho-so/", views.dossier_list, name="dossier_list"),
    path("ho-so/tai/<str:fmt>/", views.dossier_export, name="dossier_export"),
    path("nhap-ho-so/", views.import_upload, name="import_upload"),
    path("nhap-ho-so/<int:pk>/", views.import_job, name="import_job"),
    path("nhap-ho-so/<int:pk>/trang-thai/", views.import_job_status, name="import_job_status"),
    path("nhap-ho-so/<int:pk>/xac-nhan/", views.import_confirm, name="import_confirm"),
    path("nhap-ho-so/<int:pk>/thu-lai/", views.import_retry, name="import_retry"),
    path("nhap-ho-so/<int:pk>/loi/", views.import_rejected, name="import_rejected"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier_detail"),
    path("ho-so/<str:code>/bien-nhan/", views.receipt, name="receipt"),
    path("ho-so/<str:code>/mau-02/", views.form_02, name="form_02"),
    path("ho-so/<str:code>/mau-03/", views.form_03, name="form_03"),
    path("ho-so/<str:code>/thao-tac/<slug:action>/", views.dossier_action, name="dossier_action"),
]
