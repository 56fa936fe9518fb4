"""The real models: Silero VAD, faster-whisper tiny.en, piper en_US-joe-medium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest
from speech_helpers import JFK_TEXT, normalise, silence, squash

from server.speech import audio
from server.speech.models import SpeechModels, self_test
from server.speech.stt import (
    FILLER_CUE,
    FasterWhisperTranscriber,
    ModelLoadError,
    hotwords_from_glossary,
)
from server.speech.tts import PiperSynthesizer, SpeechCache
from server.speech.vad import SileroVad

pytestmark = pytest.mark.slow

GLOSSARY = ["RLHF", "KV cache", "Constitutional AI", "tensor parallelism"]


def test_streaming_vad_matches_faster_whisper_batch(models: SpeechModels, jfk_path: Path) -> None:
    from faster_whisper.vad import get_vad_model

    samples = audio.decode_audio(jfk_path)
    streamed = models.vad.probabilities(samples)
    padded = np.pad(samples, (0, (-samples.size) % 512))
    batch = np.asarray(get_vad_model()(padded)).reshape(-1)
    assert streamed.shape == batch.shape
    np.testing.assert_allclose(streamed, batch, atol=1e-5)


def test_vad_hears_jfk_and_not_silence_or_noise(models: SpeechModels, jfk_path: Path) -> None:
    speech = models.vad.probabilities(audio.decode_audio(jfk_path))
    assert 0.4 < float((speech >= 0.5).mean()) < 0.9  # speech, with pauses
    assert float(speech[:8].max()) < 0.5  # the recording starts with a breath of silence
    rng = np.random.default_rng(3)
    for quiet in (
        silence(3.0),
        rng.normal(0, 0.01, 48_000).astype(np.float32),
        rng.normal(0, 0.1, 48_000).astype(np.float32),
        (0.2 * np.sin(2 * np.pi * 60 * np.arange(48_000) / 16_000)).astype(np.float32),
    ):
        assert float(models.vad.probabilities(quiet).max()) < 0.5


def test_vad_streams_keep_separate_state(models: SpeechModels, jfk_path: Path) -> None:
    samples = audio.decode_audio(jfk_path)[: 512 * 100]
    a, b = models.vad.new_stream(), models.vad.new_stream()
    out_a, out_b = [], []
    for i in range(0, samples.size, 512):
        out_a.append(a.process(samples[i : i + 512]))
        out_b.append(b.process(np.zeros(512, dtype=np.float32)))  # interleaved silence
    np.testing.assert_allclose(out_a, models.vad.probabilities(samples), atol=1e-6)
    assert max(out_b) < 0.5
    with pytest.raises(ValueError):
        a.process(np.zeros(100, dtype=np.float32))


def test_jfk_word_error_rate(models: SpeechModels, jfk_path: Path) -> None:
    samples = audio.decode_audio(jfk_path)
    result = models.transcriber.transcribe(samples)
    wer = jiwer.wer(normalise(JFK_TEXT), normalise(result.text))
    assert wer <= 0.10, result.text
    assert result.duration == pytest.approx(11.0, abs=0.01)
    assert result.no_speech_prob < 0.5
    assert [w.text.strip(",.").lower() for w in result.words[:3]] == ["and", "so", "my"]
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert 0.0 <= result.words[0].start < 1.0 and 9.0 < result.words[-1].end <= 11.0


def test_silence_and_noise_transcribe_to_nothing(models: SpeechModels) -> None:
    rng = np.random.default_rng(5)
    for quiet in (
        silence(2.0),
        rng.normal(0, 0.0005, 32_000).astype(np.float32),  # below the RMS floor: not even run
        rng.normal(0, 0.05, 32_000).astype(np.float32),
    ):
        result = models.transcriber.transcribe(quiet)
        assert result.text == "" and result.words == () and result.empty


def test_piper_is_deterministic(models: SpeechModels, tmp_path: Path) -> None:
    line = "Walk me through how you would evaluate the model."
    first = models.synthesizer.synthesize(line)
    second = models.synthesizer.synthesize(line)
    assert first.dtype == np.float32 and first.size > models.synthesizer.sample_rate
    assert first.tobytes() == second.tobytes()
    for fmt in ("mp3", "wav"):
        a = SpeechCache(tmp_path / "a", models.synthesizer, audio_format=fmt).ensure(line)
        b = SpeechCache(tmp_path / "b", models.synthesizer, audio_format=fmt).ensure(line)
        assert a.name == b.name and a.read_bytes() == b.read_bytes()


ROUND_TRIPS = [
    (
        "We aligned the model with RLHF, and later with Constitutional AI.",
        ["rlhf", "constitutional ai"],
    ),
    ("Reusing the KV cache makes every decoding step much cheaper.", ["kv cache"]),
    (
        "The model did not fit on one accelerator, so we used tensor parallelism.",
        ["tensor parallelism"],
    ),
]


@pytest.mark.parametrize(("line", "terms"), ROUND_TRIPS)
def test_spoken_domain_terms_come_back(models: SpeechModels, line: str, terms: list[str]) -> None:
    spoken = audio.resample(
        models.synthesizer.synthesize(line), models.synthesizer.sample_rate, audio.SAMPLE_RATE
    )
    result = models.transcriber.transcribe(spoken, hotwords_from_glossary(GLOSSARY))
    for term in terms:
        assert squash(term) in squash(result.text), result.text
    assert jiwer.wer(normalise(line), normalise(result.text)) <= 0.25, result.text


FILLED = [
    "Uh, I think the honest answer is that I would escalate it to the safety lead.",
    "So, um, my recommendation would be a limited preview.",
    "What worried me most was, um, the lack of any rollback plan.",
]


def test_fillers_are_kept_and_not_invented(models: SpeechModels) -> None:
    """Whisper drops "um" and "uh" unless its prompt shows them (`FILLER_CUE`)."""
    hint = hotwords_from_glossary(GLOSSARY)
    assert hint is not None and hint.startswith(FILLER_CUE)
    assert hotwords_from_glossary([" "]) is None  # no terms, no hint: the short encoder input
    said = heard = 0
    for line in [*FILLED, ROUND_TRIPS[1][0]]:
        spoken = audio.resample(
            models.synthesizer.synthesize(line), models.synthesizer.sample_rate, audio.SAMPLE_RATE
        )
        words = normalise(models.transcriber.transcribe(spoken, hint).text).split()
        expected = normalise(line).split()
        for filler in ("um", "uh"):
            said += expected.count(filler)
            heard += min(expected.count(filler), words.count(filler))
            assert words.count(filler) <= expected.count(filler), words  # none invented
    assert heard >= 2 and said == 3, (heard, said)


def test_self_test_round_trip(models: SpeechModels) -> None:
    report = self_test(models)
    assert "test" in report.transcript.lower()
    assert report.speech_windows > 10


def test_missing_models_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelLoadError, match="no-such-model"):
        FasterWhisperTranscriber(missing)
    with pytest.raises(ModelLoadError, match=r"voice\.onnx"):
        PiperSynthesizer(tmp_path / "voice.onnx", tmp_path / "voice.onnx.json")
    with pytest.raises(FileNotFoundError, match=r"vad\.onnx"):
        SileroVad(tmp_path / "vad.onnx")
    # A model name is looked up in the local cache only: no download unless allowed.
    with pytest.raises(ModelLoadError, match="not-a-real-whisper-model"):
        FasterWhisperTranscriber("not-a-real-whisper-model")


def test_one_encoder_pass_per_piece_even_with_hotwords(
    models: SpeechModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faster_whisper import WhisperModel

    passes = 0
    real_encode = WhisperModel.encode

    def counting_encode(self: WhisperModel, features: object) -> object:
        nonlocal passes
        passes += 1
        return real_encode(self, features)

    monkeypatch.setattr(WhisperModel, "encode", counting_encode)
    line = "We fine tuned the model with RLHF and measured the win rate against the baseline."
    spoken = audio.resample(
        models.synthesizer.synthesize(line), models.synthesizer.sample_rate, audio.SAMPLE_RATE
    )
    result = models.transcriber.transcribe(spoken, hotwords_from_glossary(GLOSSARY))
    assert passes == 1
    assert "rlhf" in squash(result.text) and "baseline" in normalise(result.text)


def test_a_prompted_piece_gets_a_longer_encoder_input(
    models: SpeechModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short piece reaches the encoder as 10 s of features without a prompt and 20 s with
    one: below that, a prompt made tiny.en loop on paused answers (`stt` module text)."""
    from faster_whisper import WhisperModel

    frames: list[int] = []
    real_encode = WhisperModel.encode

    def measuring_encode(self: WhisperModel, features: Any) -> object:
        frames.append(int(features.shape[-1]))
        return real_encode(self, features)

    monkeypatch.setattr(WhisperModel, "encode", measuring_encode)
    line = "We measured the win rate against the baseline."
    spoken = audio.resample(
        models.synthesizer.synthesize(line), models.synthesizer.sample_rate, audio.SAMPLE_RATE
    )
    assert spoken.size < 8 * audio.SAMPLE_RATE
    models.transcriber.transcribe(spoken)
    models.transcriber.transcribe(spoken, hotwords_from_glossary(GLOSSARY))
    assert frames == [1000, 2000]
    with pytest.raises(ValueError):
        FasterWhisperTranscriber(prompted_seconds=40.0)


def test_audio_longer_than_one_window_is_transcribed_whole(
    models: SpeechModels, jfk_path: Path
) -> None:
    jfk = audio.decode_audio(jfk_path)
    result = models.transcriber.transcribe(np.concatenate([jfk, jfk, jfk]))  # 33 s
    assert normalise(result.text).count("fellow americans") == 3
    assert result.words[-1].end > 30.0


def test_full_30_s_encoder_input_still_available(jfk_path: Path) -> None:
    full = FasterWhisperTranscriber(encoder_seconds=None)
    jfk = audio.decode_audio(jfk_path)
    result = full.transcribe(jfk)
    assert jiwer.wer(normalise(JFK_TEXT), normalise(result.text)) <= 0.10, result.text
    assert 9.0 < result.words[-1].end <= 11.0
    with pytest.raises(ValueError):
        FasterWhisperTranscriber(encoder_seconds=0.5)


def test_short_noise_is_not_hallucinated_with_the_shortened_encoder(
    models: SpeechModels,
) -> None:
    # Cut to the content alone, tiny.en loops on noise; the 10 s floor keeps it quiet.
    assert models.transcriber.encoder_seconds == 10.0
    rng = np.random.default_rng(11)
    for seconds in (0.5, 2.0, 5.0):
        for level in (0.01, 0.05, 0.2):
            noise = rng.normal(0, level, int(seconds * 16_000)).astype(np.float32)
            assert models.transcriber.transcribe(noise).text == ""
