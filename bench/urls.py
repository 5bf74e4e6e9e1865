"""The site's URLs plus the ceiling view: the same server stack returning a fixed body."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site

BODY = (b"<!doctype html><title>ceiling</title>" + b"x" * 2_000_000)


def ceiling(request):
    size = min(int(request.GET.get("size", "40000")), len(BODY))
    return HttpResponse(BODY[:size])


urlpatterns = [path("_bench/ceiling/", ceiling), *site]
