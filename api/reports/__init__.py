"""Printable reports (PDF) built from the read models in `records.services.reports`."""
