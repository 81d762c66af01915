from django.apps import AppConfig


class TechniciansConfig(AppConfig):
    name = "technicians"

    def ready(self):
        from rollout.audit_display import audit_link_register

        audit_link_register("technicians.technician", "technicians:technician-detail")
        audit_link_register("technicians.vendor", "technicians:vendor-detail")
        audit_link_register("technicians.certification", "technicians:technician-detail", via="technician")
        audit_link_register("technicians.trainingrecord", "technicians:technician-detail", via="technician")
        audit_link_register("technicians.timeoff", "technicians:technician-detail", via="technician")
        from rollout.signals import member_joined
        from technicians.receivers import link_technician_on_join

        member_joined.connect(link_technician_on_join, dispatch_uid="technicians.link_technician_on_join")
