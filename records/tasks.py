"""The task-queue port: what the core asks to have done in the background."""

from __future__ import annotations

from typing import Protocol


class TaskQueue(Protocol):
    def process_document(self, document_id: str) -> None:
        """Extract and recognise the document's text, then index its dossier (queue `ocr`)."""
        ...

    def index_dossier(self, dossier_code: str) -> None:
        """Rebuild the dossier's search entry (queue `index`)."""
        ...

    def deliver_webhooks(self) -> None:
        """Post the webhook deliveries that are due (queue `webhooks`)."""
        ...
