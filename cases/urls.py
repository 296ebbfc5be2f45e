from django.urls import path

from .views import desk as views
from .views import exports, process, sheets, uploads
from .views import followup as followup_views

app_name = "cases"
urlpatterns = [
    path("", views.today, name="today"),
    path("tiep-nhan/", views.receive, name="receive"),
    path("viec-cua-toi/", process.my_steps, name="my_steps"),
    path("tiep-nhan/han/", views.due_preview, name="due_preview"),
    path("thu-tuc/tim/", views.procedure_search, name="procedure_search"),
    path("ho-so/", views.dossier_list, name="dossier_list"),
    path("ho-so/tai/<str:fmt>/", views.dossier_export, name="dossier_export"),
    path("ho-so/tai/viec/<uuid:job_id>/", exports.export_job, name="export_job"),
    path("ho-so/tai/viec/<uuid:job_id>/tep/", exports.export_job_file, name="export_job_file"),
    path("ho-so/tai/viec/<uuid:job_id>/thu-lai/", exports.export_job_retry, name="export_job_retry"),
    path("nhap-ho-so/", uploads.import_upload, name="import_upload"),
    path("nhap-ho-so/<int:pk>/", uploads.import_job, name="import_job"),
    path("nhap-ho-so/<int:pk>/trang-thai/", uploads.import_job_status, name="import_job_status"),
    path("nhap-ho-so/<int:pk>/xac-nhan/", uploads.import_confirm, name="import_confirm"),
    path("nhap-ho-so/<int:pk>/thu-lai/", uploads.import_retry, name="import_retry"),
    path("nhap-ho-so/<int:pk>/loi/", uploads.import_rejected, name="import_rejected"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier_detail"),
    path("ho-so/<str:code>/bien-nhan/", views.receipt, name="receipt"),
    path("ho-so/<str:code>/mau-02/", views.form_02, name="form_02"),
    path("ho-so/<str:code>/mau-03/", views.form_03, name="form_03"),
    path("ho-so/<str:code>/phieu-kiem-soat/", sheets.control_sheet, name="control_sheet"),
    path("ho-so/<str:code>/thao-tac/<slug:action>/", views.dossier_action, name="dossier_action"),
    path("ho-so/<str:code>/quy-trinh/<slug:move>/", process.step_move, name="step_move"),
    # Follow-up: apologies (Mẫu 04) and explanations (cases/views/followup.py).
    path("ho-so/<str:code>/xin-loi/", followup_views.apology_issue, name="apology_issue"),
    path("ho-so/<str:code>/mau-04/", followup_views.form_04, name="form_04"),
    path("giai-trinh/", followup_views.explanations, name="explanations"),
    path("giai-trinh/moi/", followup_views.explanation_request_new, name="explanation_request_new"),
    path("giai-trinh/<int:pk>/", followup_views.explanation_request, name="explanation_request"),
    path("giai-trinh/<int:pk>/in/", followup_views.explanation_request_print, name="explanation_request_print"),
    path("giai-trinh/don-vi/<int:pk>/", followup_views.explanation, name="explanation"),
    path("giai-trinh/tep/<int:pk>/", followup_views.explanation_attachment, name="explanation_attachment"),
]
