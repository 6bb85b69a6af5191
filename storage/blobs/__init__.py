"""Blob stores behind the `records.blobs.BlobStore` port: files on the local disk (embedded) or S3 (production)."""

from records.blobs import BlobStore
from storage.blobs.local import LocalBlobStore
from storage.blobs.names import attachment_disposition, check_key
from storage.blobs.replicated import ReplicatedBlobStore
from storage.blobs.s3 import S3BlobStore

__all__ = ["LocalBlobStore", "ReplicatedBlobStore", "S3BlobStore", "attachment_disposition", "check_key"]


def _conforms_to_the_port(local: LocalBlobStore, s3: S3BlobStore,
                          replicated: ReplicatedBlobStore) -> tuple[BlobStore, BlobStore, BlobStore]:
    """Never called: mypy checks here that the stores satisfy `BlobStore`."""
    return local, s3, replicated
