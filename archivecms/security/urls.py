from django.urls import path

from archivecms.security import views

urlpatterns = [
    path("", views.verify, name="security_verify"),
]
