from django.urls import path

from . import views
from .homeaffairs_views import index as homeaffairs_index
from .homeaffairs_views import job as homeaffairs_job
from .homeaffairs_views import job_file as homeaffairs_job_file

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("tai/<str:fmt>/", views.download, name="download"),
    path("tuan/", views.weekly, name="weekly"),
    path("xu-huong.json", views.trend_json, name="trend_json"),
    path("noi-vu/", homeaffairs_index, name="homeaffairs"),
    path("noi-vu/viec/<uuid:job_id>/", homeaffairs_job, name="homeaffairs_job"),
    path("noi-vu/viec/<uuid:job_id>/tai/", homeaffairs_job_file, name="homeaffairs_job_file"),
]
