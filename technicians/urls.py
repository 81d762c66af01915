"""technicians pages, namespace `technicians`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from technicians.views import skills, technicians, training, vendors

app_name = "technicians"

urlpatterns = [
    path("technicians/", technicians.TechnicianListView.as_view(), name="technicians"),
    path("technicians/new/", technicians.TechnicianCreateView.as_view(), name="technician-create"),
    path("technicians/invite/", technicians.TechnicianInviteView.as_view(), name="technician-invite"),
    path("technicians/<int:pk>/", technicians.TechnicianDetailView.as_view(), name="technician-detail"),
    path("technicians/<int:pk>/edit/", technicians.TechnicianEditView.as_view(), name="technician-edit"),
    path("technicians/<int:pk>/invite/", technicians.TechnicianReinviteView.as_view(), name="technician-reinvite"),
    path("technicians/<int:pk>/status/", technicians.TechnicianStatusView.as_view(), name="technician-status"),
    path(
        "technicians/<int:pk>/certifications/new/",
        technicians.CertificationFormView.as_view(),
        name="certification-create",
    ),
    path("technicians/<int:pk>/time-off/new/", technicians.TimeOffCreateView.as_view(), name="time-off-create"),
    path("certifications/<int:cert>/edit/", technicians.CertificationFormView.as_view(), name="certification-edit"),
    path(
        "certifications/<int:cert>/delete/", technicians.CertificationDeleteView.as_view(), name="certification-delete"
    ),
    path("time-off/<int:pk>/delete/", technicians.TimeOffDeleteView.as_view(), name="time-off-delete"),
    path("vendors/", vendors.VendorListView.as_view(), name="vendors"),
    path("vendors/new/", vendors.VendorFormView.as_view(), name="vendor-create"),
    path("vendors/<int:pk>/", vendors.VendorDetailView.as_view(), name="vendor-detail"),
    path("vendors/<int:pk>/edit/", vendors.VendorFormView.as_view(), name="vendor-edit"),
    path("vendors/<int:pk>/status/", vendors.VendorStatusView.as_view(), name="vendor-status"),
    path("skills/", skills.SkillListView.as_view(), name="skills"),
    path("skills/new/", skills.SkillFormView.as_view(), name="skill-create"),
    path("skills/<int:pk>/edit/", skills.SkillFormView.as_view(), name="skill-edit"),
    path("skills/<int:pk>/status/", skills.SkillStatusView.as_view(), name="skill-status"),
    path("training/", training.TrainingMatrixView.as_view(), name="training"),
    path("training/courses/new/", training.CourseCreateView.as_view(), name="course-create"),
    path("training/records/new/", training.TrainingRecordCreateView.as_view(), name="training-record-create"),
    path(
        "training/records/<int:pk>/certificate/",
        training.TrainingCertificateView.as_view(),
        name="training-certificate",
    ),
]
