"""What both adapters index for a dossier, computed once from the port's `DossierIndexEntry`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from records.search import DossierIndexEntry
from search.analysis import exact_form, folded_form, identifier_keys, nfc, place_names, words


@dataclass(frozen=True)
class PreparedEntry:
    code: str
    texts: dict[str, str]  # logical text field stem (name, place, addr, proc, meta, field) -> NFC text
    pages: tuple[tuple[str, tuple[str, ...]], ...]  # (document id, its NFC pages)
    identifiers: tuple[str, ...]  # ids keys: id:/code:/date:/parcel: found in the pages (and the code)
    id_number: str
    name_key_folded: str
    name_key_exact: str
    place_keys: tuple[str, ...]  # the agency's commune/district names
    addr_keys: tuple[str, ...]  # the applicant's
    visible: tuple[str, ...]
    agency: str
    procedure: str
    field: str
    state: str
    document_types: tuple[str, ...]
    received: date

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Folded words of the officers' metadata (for typo correction)."""
        stems = ("name", "place", "addr", "proc", "field")
        return tuple(sorted({w for stem in stems for w in words(self.texts[stem])}))


def prepare(entry: DossierIndexEntry) -> PreparedEntry:
    meta = [part for d in entry.documents
            for part in (d.title, d.document_type, d.number_notation or "", d.issuing_organ or "", d.signer or "")
            if part]
    if entry.subject:
        meta.append(entry.subject)
    pages = tuple((d.document_id, tuple(nfc(p) for p in d.pages)) for d in entry.documents)
    keys = {f"code:{entry.dossier_code}"}
    for _, texts in pages:
        for page in texts:
            keys |= identifier_keys(page)
    name = " ".join(entry.applicant_name.split())
    return PreparedEntry(
        code=entry.dossier_code,
        texts={
            "name": nfc(entry.applicant_name),
            "place": nfc(entry.agency_name),
            "addr": nfc(entry.applicant_address),
            "proc": nfc(entry.procedure_name),
            "meta": nfc(" \n ".join(meta)),
            "field": nfc(entry.field),
        },
        pages=pages,
        identifiers=tuple(sorted(keys)),
        id_number=entry.applicant_id_number,
        name_key_folded=folded_form(name),
        name_key_exact=exact_form(name),
        place_keys=tuple(sorted(place_names(entry.agency_name))),
        addr_keys=tuple(sorted(place_names(entry.applicant_address))),
        visible=tuple(sorted(entry.visible_to)),
        agency=entry.receiving_agency_code,
        procedure=entry.procedure_code,
        field=entry.field,
        state=entry.state,
        document_types=tuple(sorted({d.document_type for d in entry.documents})),
        received=entry.received_at.date(),
    )
