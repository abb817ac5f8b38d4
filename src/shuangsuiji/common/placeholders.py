from django.http import HttpResponse


def not_yet(request, *args, **kwargs):
    return HttpResponse("建设中", status=501)
