"""The test database as other processes reach it (a real worker, the README's shell commands)."""

from django.db import connection


def database_url() -> str:
    """The URL of the *test* database this process uses, for a child process to share."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
