"""programs pages, one module per page group; programs/urls.py names each view by its module."""
