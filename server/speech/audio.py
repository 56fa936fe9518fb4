"""Audio helpers: PCM16 <-> float32, RMS, decoding, resampling, WAV, Ogg/Opus and MP3.

Everything speech-related in the server works on mono float32 numpy arrays in [-1, 1];
the browser sends PCM16 little-endian at 16 kHz. PyAV (a faster-whisper dependency,
bundling FFmpeg with libopus and LAME) does decoding, resampling and compression.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, cast

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream

SAMPLE_RATE = 16_000
"""Rate of everything the VAD and STT see, and of the browser's PCM frames."""

Samples = npt.NDArray[np.float32]

_INT16_SCALE = 32768.0
_INT16_MAX = 32767


def pcm16_to_float32(data: bytes | bytearray | memoryview) -> Samples:
    """Little-endian signed 16-bit PCM to float32 in [-1, 1). A trailing odd byte is an error."""
    if len(data) % 2:
        raise ValueError(f"PCM16 data must have an even number of bytes, got {len(data)}")
    ints = np.frombuffer(data, dtype="<i2")
    return (ints.astype(np.float32) / np.float32(_INT16_SCALE)).astype(np.float32, copy=False)


def float32_to_pcm16(samples: npt.ArrayLike) -> bytes:
    """float32 in [-1, 1] to little-endian PCM16, clipping what lies outside."""
    arr = np.asarray(samples, dtype=np.float32)
    scaled = np.clip(np.rint(arr * _INT16_SCALE), -_INT16_SCALE, _INT16_MAX)
    return bytes(scaled.astype(np.dtype("<i2")).tobytes())


def rms(samples: npt.ArrayLike) -> float:
    """Root mean square of the samples; 0.0 for an empty array."""
    arr = np.asarray(samples, dtype=np.float32)
    if arr.size == 0:
        return 0.0
    # float64 accumulation: a float32 sum over minutes of audio loses precision.
    return float(np.sqrt(np.mean(np.square(arr, dtype=np.float64))))


def _frames_to_mono_float(frames: Iterator[Any]) -> Samples:
    chunks = [np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1) for frame in frames]
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def decode_audio(source: str | Path | bytes | IO[bytes], sample_rate: int = SAMPLE_RATE) -> Samples:
    """Decode any audio file FFmpeg reads to mono float32 at `sample_rate`."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif isinstance(source, Path):
        source = str(source)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)

    def resampled() -> Iterator[Any]:
        with av.open(source, mode="r") as container:
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                # Some containers carry bogus pts; the resampler only needs the samples.
                frame.pts = None
                yield from resampler.resample(frame)
        yield from resampler.resample(None)

    return _frames_to_mono_float(resampled())


def resample(samples: npt.ArrayLike, from_rate: int, to_rate: int) -> Samples:
    """Resample mono float32 audio (FFmpeg's swresample: deterministic, band-limited)."""
    arr = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).reshape(-1))
    if from_rate == to_rate or arr.size == 0:
        return arr.copy()
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate)

    def resampled() -> Iterator[Any]:
        frame = av.AudioFrame.from_ndarray(arr.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = from_rate
        yield from resampler.resample(frame)
        yield from resampler.resample(None)

    return _frames_to_mono_float(resampled())


def resample_pcm16(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Mono PCM16 at one rate to mono PCM16 at another (e.g. piper's 22.05 kHz to 16 kHz)."""
    return float32_to_pcm16(resample(pcm16_to_float32(pcm), from_rate, to_rate))


def wav_bytes(samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A mono PCM16 WAV file in memory."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(float32_to_pcm16(samples))
    return buffer.getvalue()


def write_wav(path: str | Path, samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> None:
    """Write a mono PCM16 WAV file."""
    Path(path).write_bytes(wav_bytes(samples, sample_rate))


Codec = Literal["opus", "mp3"]

# (container format, encoder, rates the encoder accepts, preferred rate)
_CODECS: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "opus": ("ogg", "libopus", (48_000, 24_000, 16_000, 12_000, 8_000)),
    "mp3": ("mp3", "libmp3lame", (48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000)),
}


def _encoder_rate(codec: Codec, sample_rate: int) -> int:
    rates = _CODECS[codec][2]
    if sample_rate in rates:
        return sample_rate
    # The smallest supported rate above the input keeps every frequency it carries.
    above = [r for r in rates if r > sample_rate]
    return min(above) if above else max(rates)


class CompressedWriter:
    """Streaming mono encoder to Ogg/Opus or MP3: `write()` float32 chunks, then `close()`.

    Meant for recordings that grow while the candidate talks (the session's audio),
    so nothing has to be held in memory uncompressed. The output timeline is the
    sample count written, which is the Listener's time base.

    `flush=True` hands every finished Ogg page (a second of audio) to the file at once
    instead of when FFmpeg's buffer fills: a process killed mid-recording leaves a file
    that plays up to its last second or so (otherwise up to the last buffer's worth, or
    nothing at all for a short one).
    """

    def __init__(
        self,
        target: str | Path | IO[bytes],
        sample_rate: int = SAMPLE_RATE,
        *,
        codec: Codec = "opus",
        bitrate: int = 24_000,
        flush: bool = False,
    ) -> None:
        container_format, encoder, _ = _CODECS[codec]
        self._input_rate = sample_rate
        self._rate = _encoder_rate(codec, sample_rate)
        # Without bitexact the Ogg muxer picks a random stream serial number, and the
        # same audio would not give the same bytes (the speech cache relies on that).
        options = {"fflags": "+bitexact"}
        if flush:
            options["flush_packets"] = "1"
        self._container = av.open(
            str(target) if isinstance(target, Path) else target,
            mode="w",
            format=container_format,
            options=options,
        )
        self._stream: AudioStream = cast(
            AudioStream, self._container.add_stream(encoder, rate=self._rate, layout="mono")
        )
        self._stream.bit_rate = bitrate
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self._rate)
        self._closed = False

    def write(self, samples: npt.ArrayLike) -> None:
        if self._closed:
            raise ValueError("writer is closed")
        arr = np.asarray(samples, dtype=np.float32).reshape(-1)
        if arr.size == 0:
            return
        pcm = np.frombuffer(float32_to_pcm16(arr), dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = self._input_rate
        self._encode(frame)

    def _encode(self, frame: av.AudioFrame | None) -> None:
        for out in self._resampler.resample(frame):
            out.pts = None
            for packet in self._stream.encode(out):
                self._container.mux(packet)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._encode(None)
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> CompressedWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def encode_audio(
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    codec: Codec = "opus",
    bitrate: int = 24_000,
) -> bytes:
    """Compress a whole clip in memory: Ogg/Opus (`codec="opus"`) or MP3."""
    buffer = io.BytesIO()
    with CompressedWriter(buffer, sample_rate, codec=codec, bitrate=bitrate) as writer:
        writer.write(samples)
    return buffer.getvalue()


def encode_ogg_opus(
    samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE, *, bitrate: int = 24_000
) -> bytes:
    """An Ogg/Opus file in memory, for storing candidate audio compactly."""
    return encode_audio(samples, sample_rate, codec="opus", bitrate=bitrate)
