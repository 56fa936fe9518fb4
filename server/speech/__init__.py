"""Speech for voice interviews: VAD, endpointing, speech to text, text to speech.

The websocket session uses `Listener` (audio in, turns out) and `SpeechCache` (the
interviewer's lines as files); `models.load_default_models()` loads everything once.
"""
