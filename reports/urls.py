from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("tai/<str:fmt>/", views.download, name="download"),
    path("tuan/", views.weekly, name="weekly"),
    path("xu-huong.json", views.trend_json, name="trend_json"),
]
