"""The core demo: the organizations, clients and members every app seeder builds on (seed.py), and the list of
app seeders that `seed_demo` runs after it."""
