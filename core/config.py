"""Settings, read once from ``RESEAU_*`` environment variables, with safe defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

BUILTIN_PLUGINS: tuple[str, ...] = (
    "groupes_techniques",
    "club_economie",
    "unite_formation",
    "acces_services",
)


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its deployment.

    Build it with :func:`load_settings` (environment) or directly in tests; use
    :meth:`with_` to derive a variant.
    """

    database_url: str = "sqlite:///var/reseau.db"
    data_dir: Path = Path("var")
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    #: ``None`` means every built-in plugin plus entry points; an empty tuple means none.
    plugins: tuple[str, ...] | None = None
    load_entrypoints: bool = True
    smtp_url: str | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "Réseau <no-reply@reseau.example.org>"
    #: overall time allowed to send one message (connection included), in seconds
    smtp_timeout: float = 30.0
    #: an extra certificate authority to trust for the SMTP server (certificates are always verified)
    smtp_cafile: str | None = None
    #: the hub's name in emails
    hub_name: str = "Réseau"
    #: seconds between two reminder sweeps / two outbox send runs
    sweep_interval: int = 60
    send_interval: int = 15
    trusted_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver")
    #: addresses of reverse proxies whose X-Forwarded-For we believe
    proxy_ips: tuple[str, ...] = ()
    default_language: str = "fr"
    timezone: str = "Europe/Paris"
    #: largest request body accepted (uploads included), in bytes
    max_body_size: int = 20 * 1024 * 1024
    #: largest single uploaded file (documents), in bytes; checked while the file is read
    max_upload_size: int = 10 * 1024 * 1024
    run_scheduler: bool = True
    db_pool_size: int = 5
    db_max_overflow: int = 10
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    session_max_age: int = 14 * 24 * 3600
    #: retention period in days per kind of data (``core.privacy``), overriding the declared ones
    retention_days: dict[str, int] = field(default_factory=dict)
    #: the data controller named on the privacy page (responsable du traitement)
    controller_name: str = ""
    controller_address: str = ""
    controller_email: str = ""
    #: the data protection officer's contact (délégué à la protection des données)
    dpo_contact: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        """Cookies get ``Secure`` and the ``__Host-`` prefix whenever the site is served over https."""
        return urlsplit(self.base_url).scheme == "https"

    @property
    def session_cookie(self) -> str:
        return "__Host-reseau" if self.secure_cookies else "reseau_session"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_retention(value: str) -> dict[str, int]:
    """``"outbox_bodies=90, audit=1095"`` → ``{"outbox_bodies": 90, "audit": 1095}``."""
    periods: dict[str, int] = {}
    for part in _split(value):
        kind, sep, days = part.partition("=")
        if not sep or not days.strip().isdigit():
            raise ValueError(f"RESEAU_RETENTION : « {part} » devrait être de la forme type=jours")
        periods[kind.strip()] = int(days)
    return periods


def _secret_from_file(data_dir: Path) -> str:
    """A development secret kept in the data directory, so sessions survive restarts.

    Production sets ``RESEAU_SECRET_KEY``; several workers on one machine share this file.
    """
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment (``os.environ`` by default)."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("RESEAU_DATA_DIR", "var"))
    default_db = f"sqlite:///{data_dir / 'reseau.db'}"
    plugins_raw = env.get("RESEAU_PLUGINS")
    base_url = env.get("RESEAU_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    hosts = _split(env.get("RESEAU_TRUSTED_HOSTS", ""))
    if not hosts:
        host = urlsplit(base_url).hostname or "127.0.0.1"
        hosts = tuple(dict.fromkeys((host, "127.0.0.1", "localhost")))
    try:
        secret = env.get("RESEAU_SECRET_KEY") or _secret_from_file(data_dir)
    except OSError:  # a read-only data dir: still start, sessions end at restart
        secret = secrets.token_urlsafe(48)
    return Settings(
        database_url=env.get("RESEAU_DATABASE_URL", default_db),
        data_dir=data_dir,
        secret_key=secret,
        base_url=base_url,
        plugins=None if plugins_raw is None else _split(plugins_raw),
        smtp_url=env.get("RESEAU_SMTP_URL") or None,
        smtp_username=env.get("RESEAU_SMTP_USERNAME") or None,
        smtp_password=env.get("RESEAU_SMTP_PASSWORD") or None,
        mail_from=env.get("RESEAU_MAIL_FROM", Settings.mail_from),
        smtp_timeout=float(env.get("RESEAU_SMTP_TIMEOUT", str(Settings.smtp_timeout))),
        smtp_cafile=env.get("RESEAU_SMTP_CAFILE") or None,
        hub_name=env.get("RESEAU_HUB_NAME", Settings.hub_name),
        sweep_interval=int(env.get("RESEAU_SWEEP_INTERVAL", str(Settings.sweep_interval))),
        send_interval=int(env.get("RESEAU_SEND_INTERVAL", str(Settings.send_interval))),
        trusted_hosts=hosts,
        proxy_ips=_split(env.get("RESEAU_PROXY_IPS", "")),
        default_language=env.get("RESEAU_LANGUAGE", "fr"),
        max_body_size=int(env.get("RESEAU_MAX_BODY_SIZE", str(Settings.max_body_size))),
        max_upload_size=int(env.get("RESEAU_MAX_UPLOAD_SIZE", str(Settings.max_upload_size))),
        run_scheduler=env.get("RESEAU_SCHEDULER", "1") not in ("0", "false", "no"),
        db_pool_size=int(env.get("RESEAU_DB_POOL_SIZE", "5")),
        db_max_overflow=int(env.get("RESEAU_DB_MAX_OVERFLOW", "10")),
        login_max_failures=int(env.get("RESEAU_LOGIN_MAX_FAILURES", str(Settings.login_max_failures))),
        login_window_seconds=int(env.get("RESEAU_LOGIN_WINDOW", str(Settings.login_window_seconds))),
        retention_days=parse_retention(env.get("RESEAU_RETENTION", "")),
        controller_name=env.get("RESEAU_CONTROLLER_NAME", ""),
        controller_address=env.get("RESEAU_CONTROLLER_ADDRESS", ""),
        controller_email=env.get("RESEAU_CONTROLLER_EMAIL", ""),
        dpo_contact=env.get("RESEAU_DPO_CONTACT", ""),
    )
