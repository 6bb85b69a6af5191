"""The secret printed on the intake receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả).

With the dossier code it lets the applicant look the dossier up without an account. Ten characters from an
alphabet without look-alikes (no 0/O, 1/I/L): about 50 bits, read aloud or typed from paper. Only a keyed
digest is stored (records.ports.Signer, purpose RECEIPT_PURPOSE), so the database alone cannot reveal it;
a lost receipt is replaced by issuing a new secret, which voids the old one.
"""

from __future__ import annotations

import secrets

RECEIPT_PURPOSE = "receipt-secret"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SECRET_LENGTH = 10


def new_receipt_secret() -> str:
    """Like `7KQ4-M9XA-TC`: groups of four for reading aloud."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_secret(text: str) -> str:
    """What a person typed, in the stored form: upper case, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -_\t")


def normalize_dossier_code(text: str) -> str:
    """A dossier code as a person typed it: codes are stored in upper case (`000.60.01.H19-260302-0001`)."""
    return text.strip().upper()


def receipt_message(dossier_code: str, secret: str) -> str:
    """What the stored digest is made of: the secret is bound to its dossier, so it opens no other one."""
    return f"{dossier_code}:{normalize_secret(secret)}"
