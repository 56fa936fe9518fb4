"""Server settings: one pydantic-settings model, every field overridable as MOCKLOOP_<NAME>.

List settings accept either JSON (`["a", "b"]`) or a comma-separated string (`a,b`), so
that `MOCKLOOP_ALLOWED_HOSTS=localhost,box.lan` works from a shell or a compose file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]


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

    max_frame: int = Field(default=64 * 1024, ge=1024)
    ping_interval: float = Field(default=10.0, gt=0)
    # interval + timeout bounds how long a silent peer goes unnoticed: 25 s
    ping_timeout: float = Field(default=15.0, gt=0)
    hello_timeout: float = Field(default=15.0, gt=0)
    max_say_chars: int = Field(default=20_000, ge=1)

    # Token bucket per websocket connection: JSON messages, and audio frames apart
    # (32 ms frames arrive ~31 times a second).
    rate_messages_per_second: float = Field(default=5.0, gt=0)
    rate_messages_burst: int = Field(default=20, ge=1)
    rate_frames_per_second: float = Field(default=100.0, gt=0)
    rate_frames_burst: int = Field(default=400, ge=1)
    # Session creation per client address.
    rate_sessions_per_minute: int = Field(default=30, ge=1)

    cookie_max_age: int = Field(default=90 * 24 * 3600, ge=60)
    # Optional password for the whole instance (a deployment beyond localhost): every
    # page, API route and websocket then needs it, except /healthz and static files.
    password: SecretStr | None = None

    @field_validator("allowed_origins", "allowed_hosts", mode="before")
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
