"""Start-up checks for production mode that need the database: the demo accounts must not keep the demo password.

(The checks on the settings themselves — secret key, MinIO credentials, default passwords in URLs — run when the
settings are read: infra.settings.production_problems.)"""

from __future__ import annotations

import json

from infra.backends import Backends
from infra.settings import Mode, refusal_message


def demo_usernames() -> list[str]:
    from infra.demo import DEMO_DIR  # here, not at the top: infra.demo builds on the wiring

    return [user["username"] for user in json.loads((DEMO_DIR / "users.json").read_text(encoding="utf-8"))]


def demo_accounts_with_demo_password(backends: Backends) -> list[str]:
    """The active demo accounts whose password is still the shared demo password."""
    from infra.demo import DEMO_PASSWORD

    found = []
    with backends.uow() as uow:
        for username in demo_usernames():
            user = uow.users.get(username)
            if user is not None and user.active and backends.hasher.verify(user.password_hash, DEMO_PASSWORD):
                found.append(username)
    return found


def production_refusal(backends: Backends) -> str | None:
    """Why this production install must not start (a message in Vietnamese and English), or None."""
    if backends.settings.mode is not Mode.PRODUCTION:
        return None
    weak = demo_accounts_with_demo_password(backends)
    if not weak:
        return None
    names = ", ".join(weak)
    return refusal_message([(f"các tài khoản mẫu vẫn dùng mật khẩu mẫu: {names} — đổi mật khẩu hoặc khóa chúng",
                             f"demo accounts still use the demo password: {names} — change or disable them")])
