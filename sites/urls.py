"""sites pages, included under /o/<org>/ by rollout.web_urls."""

urlpatterns = []
