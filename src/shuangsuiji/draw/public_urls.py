from django.urls import path

from shuangsuiji.draw import public_views as views

app_name = "public_draw"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("verify_draw.py", views.verifier_script, name="verifier"),
    path("<str:code>/", views.task_announcement, name="task"),
    path("<str:code>/<int:number>/", views.draw_verification, name="draw"),
    path("<str:code>/<int:number>/verify/", views.draw_reverify, name="reverify"),
    path("<str:code>/<int:number>/manifest", views.download_manifest, name="manifest"),
    path("<str:code>/<int:number>/seed.txt", views.download_seed, name="seed"),
    path("<str:code>/<int:number>/result.txt", views.download_result, name="result"),
    path("<str:code>/<int:number>/record.json", views.download_record, name="record"),
]
