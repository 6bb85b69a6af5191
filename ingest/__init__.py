"""The scan pipeline: what an upload is, its pages and its text layer, ready for OCR and search."""
