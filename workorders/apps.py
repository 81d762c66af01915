from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "workorders"

    def ready(self):
        from rollout.audit_display import audit_link_register

        audit_link_register("workorders.workorder", "workorders:work-order-detail")
        audit_link_register("workorders.visit", "visits:visit-detail")
        audit_link_register("workorders.packet", "packets:packet-page")
        audit_link_register("workorders.packetgenerationjob", "packets:packet-job")
        audit_link_register("workorders.shipment", "workorders:work-order-detail", via="work_order")
        # workorders.packets.services registers the durable job kinds (packet generation) and the render sweeper;
        # it imports workorders.events, which declares the work-order, visit and packet event types.
        from rollout.choices import Role
        from rollout.homes import home_register
        from workorders.field.home import technician_home

        # A technician's home is Today: their visits of the day, kept on the phone for use without signal.
        from workorders.home import field_today
        from workorders.packets import services  # noqa: F401

        # Coordinators and planners: the field team's size, today's late visits and no-shows, work to review.
        home_register(key="workorders.today", roles={Role.COORDINATOR, Role.PM, Role.ADMIN}, context=field_today)
        home_register(
            key="field.today",
            roles={Role.TECHNICIAN},
            context=technician_home,
            template="home/technician.html",
            offline=True,
        )
