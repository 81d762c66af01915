"""technicians pages, namespace `technicians`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from technicians import training_views, views

app_name = "technicians"

urlpatterns = [
    path("technicians/", views.TechnicianListView.as_view(), name="technicians"),
    path("technicians/new/", views.TechnicianCreateView.as_view(), name="technician-create"),
    path("technicians/invite/", views.TechnicianInviteView.as_view(), name="technician-invite"),
    path("technicians/<int:pk>/", views.TechnicianDetailView.as_view(), name="technician-detail"),
    path("technicians/<int:pk>/edit/", views.TechnicianEditView.as_view(), name="technician-edit"),
    path("technicians/<int:pk>/invite/", views.TechnicianReinviteView.as_view(), name="technician-reinvite"),
    path("technicians/<int:pk>/status/", views.TechnicianStatusView.as_view(), name="technician-status"),
    path(
        "technicians/<int:pk>/certifications/new/",
        views.CertificationFormView.as_view(),
        name="certification-create",
    ),
    path("technicians/<int:pk>/time-off/new/", views.TimeOffCreateView.as_view(), name="time-off-create"),
    path("certifications/<int:cert>/edit/", views.CertificationFormView.as_view(), name="certification-edit"),
    path("certifications/<int:cert>/delete/", views.CertificationDeleteView.as_view(), name="certification-delete"),
    path("time-off/<int:pk>/delete/", views.TimeOffDeleteView.as_view(), name="time-off-delete"),
    path("vendors/", views.VendorListView.as_view(), name="vendors"),
    path("vendors/new/", views.VendorFormView.as_view(), name="vendor-create"),
    path("vendors/<int:pk>/", views.VendorDetailView.as_view(), name="vendor-detail"),
    path("vendors/<int:pk>/edit/", views.VendorFormView.as_view(), name="vendor-edit"),
    path("vendors/<int:pk>/status/", views.VendorStatusView.as_view(), name="vendor-status"),
    path("skills/", views.SkillListView.as_view(), name="skills"),
    path("skills/new/", views.SkillFormView.as_view(), name="skill-create"),
    path("skills/<int:pk>/edit/", views.SkillFormView.as_view(), name="skill-edit"),
    path("skills/<int:pk>/status/", views.SkillStatusView.as_view(), name="skill-status"),
    path("training/", training_views.TrainingMatrixView.as_view(), name="training"),
    path("training/courses/new/", training_views.CourseCreateView.as_view(), name="course-create"),
    path("training/records/new/", training_views.TrainingRecordCreateView.as_view(), name="training-record-create"),
    path(
        "training/records/<int:pk>/certificate/",
        training_views.TrainingCertificateView.as_view(),
        name="training-certificate",
    ),
]
