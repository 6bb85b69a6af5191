"""Deposit packages: how the composition root writes one dossier's package for an approved deposit."""

from __future__ import annotations

from pathlib import Path

from infra.backends import Backends
from records.services.disposition import PackageWriter


def deposit_package_writer(backends: Backends) -> PackageWriter:
    """Writes the dossier's BagIt bag (records.services.bags) into the deposit folder."""
    from infra.bags import export_dossier_bag

    def write(dossier_code: str, folder: Path) -> Path:
        return export_dossier_bag(backends, dossier_code, folder / dossier_code)

    return write
