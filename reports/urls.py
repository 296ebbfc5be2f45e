from django.urls import path

from .views import dashboard, homeaffairs, register, service_index

app_name = "reports"
urlpatterns = [
    path("", dashboard.dashboard, name="index"),
    path("tai/<str:fmt>/", dashboard.download, name="download"),
    path("tuan/", dashboard.weekly, name="weekly"),
    path("so-theo-doi/", register.register, name="register"),
    path("so-theo-doi/tai/", register.register_download, name="register_download"),
    path("xu-huong.json", dashboard.trend_json, name="trend_json"),
    path("chi-so-phuc-vu/", service_index.index, name="service_index"),
    path("chi-so-phuc-vu/tai/<str:fmt>/", service_index.download, name="service_index_download"),
    path("khong-hai-long/", service_index.unsatisfied_list, name="unsatisfied"),
    path("noi-vu/", homeaffairs.index, name="homeaffairs"),
    path("noi-vu/viec/<uuid:job_id>/", homeaffairs.job, name="homeaffairs_job"),
    path("noi-vu/viec/<uuid:job_id>/tai/", homeaffairs.job_file, name="homeaffairs_job_file"),
    path("noi-vu/viec/<uuid:job_id>/thu-lai/", homeaffairs.job_retry, name="homeaffairs_job_retry"),
]
