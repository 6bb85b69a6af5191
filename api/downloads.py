"""Sending a stored file: a redirect to a presigned address when the blob store has them (S3), else a stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from fastapi import Response
from fastapi.responses import RedirectResponse, StreamingResponse

from records.blobs import BlobStore
from storage.blobs import attachment_disposition

CHUNK_BYTES = 1024 * 1024


def download_response(blobs: BlobStore, key: str, filename: str, media_type: str, *,
                      lifetime: timedelta) -> Response:
    """A presigned address valid for `lifetime` is never longer-lived than what it is given out under."""
    url = blobs.url(key, expires=lifetime, filename=filename)
    if url is not None:
        return RedirectResponse(url, status_code=307)
    stream = blobs.open(key)

    def chunks() -> Iterator[bytes]:
        with stream:
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk

    return StreamingResponse(chunks(), media_type=media_type,
                             headers={"Content-Disposition": attachment_disposition(filename)})
