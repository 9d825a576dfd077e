from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.ReaderLoginView.as_view(), name="login"),
    path("logout/", views.ReaderLogoutView.as_view(), name="logout"),
    path("me/", views.me, name="me"),
]
