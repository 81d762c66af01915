"""The workorders demo for `seed_demo`: one seeder per sub-package, run in this order (rollout.demo.seed.APP_SEEDERS):
work_orders.py, packets.py, visits.py."""
