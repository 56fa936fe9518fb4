"""Server settings: one pydantic-settings model, every field overridable as MOCKLOOP_<NAME>.

List settings accept either JSON (`["a", "b"]`) or a comma-separated string (`a,b`), so
that `MOCKLOOP_ALLOWED_HOSTS=localhost,box.lan` works from a shell or a compose file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mockloop", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOCKLOOP_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty means a SQLite file inside data_dir; any SQLAlchemy URL otherwise
    # (postgresql+psycopg://user:pass@host/db for a shared deployment).
    database_url: str = ""
    # Origins other than the server's own that may open the websocket or POST/DELETE.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Host header allowlist against DNS rebinding; "*" disables the check.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS)
    )
    scenarios_dir: Path | None = None
    # Templates and static files; unset means `web/` beside the packages (a source checkout).
    web_dir: Path | None = None
    # Synthesized interviewer lines; unset means <data_dir>/speech.
    speech_cache_dir: Path | None = None
    # Speech: a path or a model/voice name; empty means the bundled defaults.
    stt_model: str = ""
    tts_voice: str = ""
    # Offer voice sessions: load the speech models at start-up (in the background).
    voice: bool = True
    # End a spoken turn before the scenario's end silence when the answer sounds finished:
    # 0.4 s into a pause when Smart Turn and the transcript's wording agree, 1 s into it on
    # the wording alone (docs/VOICE.md, "Turn-taking"). A candidate can turn it off for a
    # connection (`turn_taking`); off here: the end silence or "I'm done" alone.
    voice_early_turn: bool = True

    max_frame: int = Field(default=64 * 1024, ge=1024)
    ping_interval: float = Field(default=10.0, gt=0)
    # interval + timeout bounds how long a silent peer goes unnoticed: 25 s
    ping_timeout: float = Field(default=15.0, gt=0)
    hello_timeout: float = Field(default=15.0, gt=0)
    max_say_chars: int = Field(default=20_000, ge=1)
    # Coding rounds: runs of candidate code at once for the whole server (each is a
    # process with its own CPU budget), and how long a run waits for a free slot.
    code_runs: int = Field(default=2, ge=1, le=16)
    max_code_chars: int = Field(default=20_000, ge=1)
    code_queue_wait: float = Field(default=30.0, gt=0)

    # Token bucket per websocket connection: JSON messages, and audio frames apart
    # (32 ms frames arrive ~31 times a second).
    rate_messages_per_second: float = Field(default=5.0, gt=0)
    rate_messages_burst: int = Field(default=20, ge=1)
    rate_frames_per_second: float = Field(default=100.0, gt=0)
    rate_frames_burst: int = Field(default=400, ge=1)
    # Session creation per client address.
    rate_sessions_per_minute: int = Field(default=30, ge=1)
    # Microphone audio per voice session, across its connections: at most this many
    # times real time (PCM16 at 16 kHz, 32,000 bytes a second), after a head start of
    # `voice_audio_burst` seconds of audio (a browser catching up after a stall sends up
    # to 8 s at once). Beyond it: `rate_limited` and close 1008.
    voice_audio_rate: float = Field(default=1.5, ge=1.0)
    voice_audio_burst: float = Field(default=10.0, ge=1.0)
    # Voice connections open at once, per session and per client address.
    voice_per_session: int = Field(default=2, ge=1)
    voice_per_address: int = Field(default=4, ge=1)
    # HTTP: seconds for a request's line and headers to arrive (from the connection's
    # opening or the end of the previous answer), and for its body; connections served
    # at once (503 beyond, websockets included).
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=1000, ge=1)

    cookie_max_age: int = Field(default=90 * 24 * 3600, ge=60)
    # Optional password for the whole instance (a deployment beyond localhost): every
    # page, API route and websocket then needs it, except /healthz and static files.
    password: SecretStr | None = None
    # The password read from a file instead (a Docker or compose secret); its trailing
    # newline is dropped. `password` wins when both are set.
    password_file: Path | None = None
    # How long a sign-in lasts (its cookie and the server's record of it).
    login_max_age: int = Field(default=14 * 24 * 3600, ge=1)
    # Wrong passwords (login form and HTTP Basic alike) an address may try before every
    # further try waits, 1 s at first and twice as long after each failure (at most 5
    # min); the same for all addresses together (waits of at most 1 min).
    login_tries: int = Field(default=5, ge=1)
    login_tries_overall: int = Field(default=50, ge=1)
    # The origin the server is reached at behind a proxy (https://mock.example.org).
    # https: every cookie is Secure, HSTS is sent, and Origin must be this origin.
    public_url: str = ""
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (uvicorn's
    # proxy-headers handling): addresses or networks, "*" for any. Empty: none.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Every request body is bounded while it is read (413 beyond).
    max_body: int = Field(default=1024 * 1024, ge=1024)

    @field_validator("allowed_origins", "allowed_hosts", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _normalise_origins(cls, value: list[str]) -> list[str]:
        return [origin.rstrip("/").lower() for origin in value]

    @field_validator("allowed_hosts")
    @classmethod
    def _normalise_hosts(cls, value: list[str]) -> list[str]:
        return [host.lower() for host in value]

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        text = value.strip().rstrip("/")
        if not text:
            return ""
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("public_url must be http://HOST[:PORT] or https://HOST[:PORT]")
        if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError("public_url is an origin: scheme, host and port only")
        return f"{parts.scheme}://{parts.netloc}".lower()

    @field_validator("password", "password_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # compose passes variables left unset as empty strings
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _read_password_file(self) -> Settings:
        if self.password is None and self.password_file is not None:
            text = self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
            if not text:
                raise ValueError(f"{self.password_file} holds no password")
            self.password = SecretStr(text)
        return self

    @property
    def public_origin(self) -> str | None:
        """The origin browsers reach the server at, when `public_url` names it."""
        return self.public_url or None

    @property
    def public_https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mockloop.db').as_posix()}"

    @property
    def effective_allowed_hosts(self) -> list[str]:
        hosts = list(self.allowed_hosts)
        # Binding to a specific name or address makes that name a valid Host too.
        bound = self.host.lower()
        if bound not in ("0.0.0.0", "::", "") and ":" in bound and not bound.startswith("["):
            bound = f"[{bound}]"
        if bound not in ("0.0.0.0", "[::]", "") and bound not in hosts:
            hosts.append(bound)
        return hosts
