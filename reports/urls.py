from django.urls import path

from reports import api, views
from reports.failure_reasons import FailureReasonsView

urlpatterns = [
    # The Reports page; it reads the API below.
    path("reports", views.reports_page, name="reports"),
    path("api/reports/volume", api.VolumeReportView.as_view(), name="reports-volume"),
    path("api/reports/delivery", api.DeliveryReportView.as_view(), name="reports-delivery"),
    path("api/reports/errors", api.ErrorsReportView.as_view(), name="reports-errors"),
    path(
        "api/reports/response_times",
        api.ResponseTimesReportView.as_view(),
        name="reports-response-times",
    ),
    # The providers' tables of error codes, for the inbox's thread (its own view: no range).
    path(
        "api/reports/failure_reasons",
        FailureReasonsView.as_view(),
        name="reports-failure-reasons",
    ),
]
