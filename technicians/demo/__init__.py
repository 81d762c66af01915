"""The technicians demo for `seed_demo` (listed in rollout.demo.seed.APP_SEEDERS): seed.py."""
