from django.urls import path

from team import views

urlpatterns = [
    path("team", views.team_page, name="team"),
    path("accounts/welcome/<str:token>", views.welcome, name="welcome"),
]
