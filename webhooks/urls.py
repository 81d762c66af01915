"""webhooks pages, included under /o/<org>/ by rollout.urls (namespace "webhooks"), in the settings area beside
API tokens."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.EndpointListView.as_view(), name="webhook-endpoints"),
    path("webhooks/new/", views.EndpointCreateView.as_view(), name="webhook-endpoint-create"),
    path("webhooks/<int:pk>/", views.EndpointDetailView.as_view(), name="webhook-endpoint-detail"),
    path("webhooks/<int:pk>/edit/", views.EndpointEditView.as_view(), name="webhook-endpoint-edit"),
    path("webhooks/<int:pk>/delete/", views.EndpointDeleteView.as_view(), name="webhook-endpoint-delete"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        views.EndpointRotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path("webhooks/<int:pk>/send-test/", views.EndpointSendTestView.as_view(), name="webhook-endpoint-send-test"),
    path("webhooks/deliveries/<int:pk>/", views.DeliveryDetailView.as_view(), name="webhook-delivery-detail"),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        views.DeliveryRedeliverView.as_view(),
        name="webhook-delivery-redeliver",
    ),
]
