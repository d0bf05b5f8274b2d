from django.urls import path

from broadcasts import views

urlpatterns = [
    path("broadcasts", views.broadcasts_page, name="broadcasts"),
]
