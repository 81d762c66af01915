"""programs pages, namespace `programs`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from programs.views import attributes, enrollments, programs, sows, team, variations

app_name = "programs"

urlpatterns = [
    path("programs/", programs.ProgramListView.as_view(), name="programs"),
    path("programs/new/", programs.ProgramCreateView.as_view(), name="program-create"),
    path("programs/<int:pk>/", programs.ProgramDetailView.as_view(), name="program-detail"),
    path("programs/<int:pk>/edit/", programs.ProgramEditView.as_view(), name="program-edit"),
    path("programs/<int:pk>/transition/", programs.ProgramTransitionView.as_view(), name="program-transition"),
    path("programs/<int:pk>/waves/new/", programs.WaveFormView.as_view(), name="wave-create"),
    path("programs/<int:pk>/sows/new/", sows.SowCreateView.as_view(), name="sow-create"),
    path("waves/<int:wave>/edit/", programs.WaveFormView.as_view(), name="wave-edit"),
    path("waves/<int:wave>/delete/", programs.WaveDeleteView.as_view(), name="wave-delete"),
    path("sows/<int:pk>/", sows.SowDetailView.as_view(), name="sow-detail"),
    path("sows/<int:pk>/notes/", sows.SowNotesView.as_view(), name="sow-notes"),
    path("sows/<int:pk>/approve/", sows.SowApproveView.as_view(), name="sow-approve"),
    path("sows/<int:pk>/delete/", sows.SowDeleteView.as_view(), name="sow-delete"),
    path("sows/<int:pk>/diff/", sows.SowDiffView.as_view(), name="sow-diff"),
    path("sows/<int:pk>/tasks/new/", sows.SowTaskFormView.as_view(), name="sow-task-create"),
    path("sows/<int:pk>/materials/new/", sows.SowMaterialFormView.as_view(), name="sow-material-create"),
    path("sow-tasks/<int:line>/edit/", sows.SowTaskFormView.as_view(), name="sow-task-edit"),
    path("sow-tasks/<int:line>/move/", sows.SowTaskMoveView.as_view(), name="sow-task-move"),
    path("sow-tasks/<int:line>/delete/", sows.SowTaskDeleteView.as_view(), name="sow-task-delete"),
    path("sow-materials/<int:line>/edit/", sows.SowMaterialFormView.as_view(), name="sow-material-edit"),
    path("sow-materials/<int:line>/delete/", sows.SowMaterialDeleteView.as_view(), name="sow-material-delete"),
    # A program's sites: enrollments, attribute schema, variations.
    path("programs/<int:pk>/sites/", enrollments.ProgramSitesView.as_view(), name="program-sites"),
    path("programs/<int:pk>/map/", enrollments.ProgramMapView.as_view(), name="program-map"),
    path("programs/<int:pk>/sites/enroll/", enrollments.EnrollSitesView.as_view(), name="program-enroll"),
    path("programs/<int:pk>/sites/bulk/", enrollments.EnrollmentBulkView.as_view(), name="program-sites-bulk"),
    path("programs/<int:pk>/sites/import/", attributes.ProgramSiteImportView.as_view(), name="program-site-import"),
    path("programs/<int:pk>/attributes/", attributes.ProgramAttributesView.as_view(), name="program-attributes"),
    path(
        "programs/<int:pk>/attributes/new/",
        attributes.ProgramAttributeFormView.as_view(),
        name="program-attribute-create",
    ),
    path(
        "programs/<int:pk>/attributes/problems/",
        attributes.AttributeProblemsView.as_view(),
        name="program-attribute-problems",
    ),
    path(
        "program-attributes/<int:attribute>/edit/",
        attributes.ProgramAttributeFormView.as_view(),
        name="program-attribute-edit",
    ),
    path(
        "program-attributes/<int:attribute>/delete/",
        attributes.ProgramAttributeDeleteView.as_view(),
        name="program-attribute-delete",
    ),
    path("programs/<int:pk>/team/", team.ProgramTeamView.as_view(), name="program-team"),
    path(
        "programs/<int:pk>/team/requirements/<int:requirement>/remove/",
        team.ProgramRequirementRemoveView.as_view(),
        name="program-requirement-remove",
    ),
    path("programs/<int:pk>/variations/", variations.ProgramVariationsView.as_view(), name="program-variations"),
    path("programs/<int:pk>/variations/new/", variations.VariationFormView.as_view(), name="program-variation-create"),
    path("variations/<int:variation>/edit/", variations.VariationFormView.as_view(), name="variation-edit"),
    path("variations/<int:variation>/delete/", variations.VariationDeleteView.as_view(), name="variation-delete"),
    path(
        "variations/<int:variation>/approve/",
        variations.VariationDecideView.as_view(decision="approve"),
        name="variation-approve",
    ),
    path(
        "variations/<int:variation>/reject/",
        variations.VariationDecideView.as_view(decision="reject"),
        name="variation-reject",
    ),
]
