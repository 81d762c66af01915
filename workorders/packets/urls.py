"""Packet pages, namespace `packets`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from workorders.packets import views

app_name = "packets"

urlpatterns = [
    path("packets/programs/<int:pk>/", views.ProgramPacketsView.as_view(), name="program-packets"),
    path("packets/programs/<int:pk>/reissue/", views.PacketReissueView.as_view(), name="packet-reissue"),
    path("packets/jobs/<int:pk>/", views.PacketJobView.as_view(), name="packet-job"),
    path("packets/jobs/<int:pk>/status/", views.PacketJobStatusView.as_view(), name="packet-job-status"),
    path("packets/jobs/<int:pk>/download/", views.PacketJobDownloadView.as_view(), name="packet-job-download"),
    path("packets/work-orders/<int:work_order_id>/", views.WorkOrderPacketView.as_view(), name="packet-work-order"),
    path("packets/<int:pk>/", views.PacketDetailView.as_view(), name="packet-page"),
    path("packets/<int:pk>/pdf/", views.PacketPdfView.as_view(), name="packet-pdf"),
    path("packets/<int:pk>/acknowledge/", views.PacketAcknowledgeView.as_view(), name="packet-acknowledge"),
]
