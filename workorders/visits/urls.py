"""Visit pages, namespace `visits`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from workorders.visits import views

app_name = "visits"

urlpatterns = [
    path("dispatch/", views.DispatchBoardView.as_view(), name="dispatch"),
    path("dispatch/board/", views.DispatchBoardRegionView.as_view(), name="dispatch-board"),
    path("dispatch/technicians/<int:pk>/week/", views.TechnicianWeekView.as_view(), name="dispatch-technician-week"),
    path("work-orders/<int:pk>/visits/new/", views.VisitScheduleView.as_view(), name="visit-schedule"),
    path("visits/<int:pk>/", views.VisitDetailView.as_view(), name="visit-detail"),
    path("visits/<int:pk>/reschedule/", views.VisitRescheduleView.as_view(), name="visit-reschedule"),
    path("visits/<int:pk>/reassign/", views.VisitReassignView.as_view(), name="visit-reassign"),
    path("visits/<int:pk>/cancel/", views.VisitCancelView.as_view(), name="visit-cancel"),
    path("visits/<int:pk>/no-show/", views.VisitNoShowView.as_view(), name="visit-no-show"),
    path("visits/<int:pk>/signature/", views.VisitSignatureView.as_view(), name="visit-signature"),
    path("visits/photos/<int:pk>/", views.VisitPhotoFileView.as_view(), name="visit-photo"),
    path("visits/photos/<int:pk>/thumbnail/", views.VisitPhotoThumbnailView.as_view(), name="visit-photo-thumbnail"),
]
