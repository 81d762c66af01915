"""programs pages, included under /o/<org>/ by rollout.web_urls."""

from django.urls import path

from programs import views

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
]
