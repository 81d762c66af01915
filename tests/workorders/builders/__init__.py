"""Builders of the workorders tests (object graphs built through the factories and the real services; no tests
here): work_orders (readiness-ready work orders), packets, visits, and field (the technician's phone pages).
Fixtures that wrap them live in tests/workorders/conftest.py or in the test module that needs them."""
