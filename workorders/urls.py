"""workorders pages, namespace `workorders`, included under /o/<org>/ by rollout.urls."""

from django.urls import path

from workorders import views

app_name = "workorders"

urlpatterns = [
    path("work-orders/", views.WorkOrderListView.as_view(), name="work-orders"),
    path("work-orders/new/", views.WorkOrderCreateView.as_view(), name="work-order-create"),
    path("work-orders/bulk/", views.WorkOrderBulkView.as_view(), name="work-orders-bulk"),
    path("work-orders/<int:pk>/", views.WorkOrderDetailView.as_view(), name="work-order-detail"),
    path("work-orders/<int:pk>/move/", views.WorkOrderTransitionView.as_view(), name="work-order-transition"),
    path("work-orders/<int:pk>/assign/", views.WorkOrderAssignView.as_view(), name="work-order-assign"),
    path("work-orders/<int:pk>/site-contact/", views.SiteContactConfirmView.as_view(), name="work-order-site-contact"),
    path("work-orders/<int:pk>/override/", views.GateOverrideView.as_view(), name="work-order-override"),
    path(
        "work-orders/<int:pk>/override/<slug:gate>/revoke/",
        views.GateOverrideRevokeView.as_view(),
        name="work-order-override-revoke",
    ),
    path("work-orders/<int:pk>/shipments/new/", views.ShipmentFormView.as_view(), name="shipment-create"),
    path("work-orders/<int:pk>/shipments/<int:shipment>/", views.ShipmentFormView.as_view(), name="shipment-edit"),
    path(
        "work-orders/<int:pk>/shipments/<int:shipment>/delete/",
        views.ShipmentDeleteView.as_view(),
        name="shipment-delete",
    ),
]
