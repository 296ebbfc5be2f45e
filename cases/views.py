from django.shortcuts import render


def today(request):
    return render(request, "cases/today.html", {})
