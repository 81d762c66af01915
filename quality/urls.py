"""quality pages, included under /o/<org>/ by rollout.urls (namespace "quality")."""

from django.urls import path

from quality import views

app_name = "quality"

urlpatterns = [
    path("quality/", views.QualityHomeView.as_view(), name="home"),
    path("quality/drft/", views.DrftDrillView.as_view(), name="drill"),
    path("quality/reviews/", views.ReviewQueueView.as_view(), name="queue"),
    path("quality/reviews/<int:pk>/", views.ReviewView.as_view(), name="review"),
    path("quality/scorecards/me/", views.ScorecardView.as_view(), name="my-scorecard"),
    path("quality/scorecards/<int:pk>/", views.ScorecardView.as_view(), name="scorecard"),
]
