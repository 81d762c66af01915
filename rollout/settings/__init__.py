"""Settings split by environment: base (shared), development (default), test, production."""
