"""programs pages, namespace `programs`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from programs import site_views, views

app_name = "programs"

urlpatterns = [
    path("programs/", views.ProgramListView.as_view(), name="programs"),
    path("programs/new/", views.ProgramCreateView.as_view(), name="program-create"),
    path("programs/<int:pk>/", views.ProgramDetailView.as_view(), name="program-detail"),
    path("programs/<int:pk>/edit/", views.ProgramEditView.as_view(), name="program-edit"),
    path("programs/<int:pk>/transition/", views.ProgramTransitionView.as_view(), name="program-transition"),
    path("programs/<int:pk>/waves/new/", views.WaveFormView.as_view(), name="wave-create"),
    path("programs/<int:pk>/sows/new/", views.SowCreateView.as_view(), name="sow-create"),
    path("waves/<int:wave>/edit/", views.WaveFormView.as_view(), name="wave-edit"),
    path("waves/<int:wave>/delete/", views.WaveDeleteView.as_view(), name="wave-delete"),
    path("sows/<int:pk>/", views.SowDetailView.as_view(), name="sow-detail"),
    path("sows/<int:pk>/notes/", views.SowNotesView.as_view(), name="sow-notes"),
    path("sows/<int:pk>/approve/", views.SowApproveView.as_view(), name="sow-approve"),
    path("sows/<int:pk>/delete/", views.SowDeleteView.as_view(), name="sow-delete"),
    path("sows/<int:pk>/diff/", views.SowDiffView.as_view(), name="sow-diff"),
    path("sows/<int:pk>/tasks/new/", views.SowTaskFormView.as_view(), name="sow-task-create"),
    path("sows/<int:pk>/materials/new/", views.SowMaterialFormView.as_view(), name="sow-material-create"),
    path("sow-tasks/<int:line>/edit/", views.SowTaskFormView.as_view(), name="sow-task-edit"),
    path("sow-tasks/<int:line>/move/", views.SowTaskMoveView.as_view(), name="sow-task-move"),
    path("sow-tasks/<int:line>/delete/", views.SowTaskDeleteView.as_view(), name="sow-task-delete"),
    path("sow-materials/<int:line>/edit/", views.SowMaterialFormView.as_view(), name="sow-material-edit"),
    path("sow-materials/<int:line>/delete/", views.SowMaterialDeleteView.as_view(), name="sow-material-delete"),
    # A program's sites: enrollments, attribute schema, variations (programs/site_views.py).
    path("programs/<int:pk>/sites/", site_views.ProgramSitesView.as_view(), name="program-sites"),
    path("programs/<int:pk>/map/", site_views.ProgramMapView.as_view(), name="program-map"),
    path("programs/<int:pk>/sites/enroll/", site_views.EnrollSitesView.as_view(), name="program-enroll"),
    path("programs/<int:pk>/sites/bulk/", site_views.EnrollmentBulkView.as_view(), name="program-sites-bulk"),
    path("programs/<int:pk>/sites/import/", site_views.ProgramSiteImportView.as_view(), name="program-site-import"),
    path("programs/<int:pk>/attributes/", site_views.ProgramAttributesView.as_view(), name="program-attributes"),
    path(
        "programs/<int:pk>/attributes/new/",
        site_views.ProgramAttributeFormView.as_view(),
        name="program-attribute-create",
    ),
    path(
        "programs/<int:pk>/attributes/problems/",
        site_views.AttributeProblemsView.as_view(),
        name="program-attribute-problems",
    ),
    path(
        "program-attributes/<int:attribute>/edit/",
        site_views.ProgramAttributeFormView.as_view(),
        name="program-attribute-edit",
    ),
    path(
        "program-attributes/<int:attribute>/delete/",
        site_views.ProgramAttributeDeleteView.as_view(),
        name="program-attribute-delete",
    ),
    path("programs/<int:pk>/variations/", site_views.ProgramVariationsView.as_view(), name="program-variations"),
    path("programs/<int:pk>/variations/new/", site_views.VariationFormView.as_view(), name="program-variation-create"),
    path("variations/<int:variation>/edit/", site_views.VariationFormView.as_view(), name="variation-edit"),
    path("variations/<int:variation>/delete/", site_views.VariationDeleteView.as_view(), name="variation-delete"),
    path(
        "variations/<int:variation>/approve/",
        site_views.VariationDecideView.as_view(decision="approve"),
        name="variation-approve",
    ),
    path(
        "variations/<int:variation>/reject/",
        site_views.VariationDecideView.as_view(decision="reject"),
        name="variation-reject",
    ),
]
