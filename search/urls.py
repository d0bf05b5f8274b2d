from django.urls import path

from search.api import SearchViewSet

urlpatterns = [
    path("api/search", SearchViewSet.as_view({"get": "list"}), name="search"),
]
