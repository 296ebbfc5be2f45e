from django.conf import settings


def portal(request):
    return {
        "TARGET_ON_TIME_RATE": settings.TARGET_ON_TIME_RATE,
        "TARGET_ONLINE_RATE": settings.TARGET_ONLINE_RATE,
    }
