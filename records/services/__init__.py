"""Use cases: keyword-only functions the API and the workers call. They never touch HTTP or SQL."""
