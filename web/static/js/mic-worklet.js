// AudioWorklet: the microphone as 16 kHz mono PCM16 frames of 512 samples (32 ms), the
// format the server's voice activity detector reads window by window.
//
// The page asks for a 16 kHz AudioContext, so usually the samples only need converting.
// Where the browser runs the context at another rate, they are resampled here: two
// low-pass biquads (Butterworth, cut-off at 0.45 of the output rate) against aliasing,
// then linear interpolation at the output instants. Each frame is posted to the page with
// its RMS level (for the meter) as a transferable buffer.
const OUT_RATE = 16000;
const FRAME = 512;

class LowPass {
  constructor(cutoff, rate) {
    // RBJ cookbook low-pass, Q = 1/sqrt(2).
    const w = (2 * Math.PI * cutoff) / rate;
    const alpha = Math.sin(w) / Math.SQRT2;
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    this.b0 = (1 - cos) / 2 / a0;
    this.b1 = (1 - cos) / a0;
    this.b2 = this.b0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
    this.x1 = this.x2 = this.y1 = this.y2 = 0;
  }

  step(x) {
    const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

class MicCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    // `sampleRate` is the context's rate (a global of the worklet scope).
    this.ratio = sampleRate / OUT_RATE;
    this.resampling = Math.abs(this.ratio - 1) > 1e-6;
    this.filters =
      this.ratio > 1 ? [new LowPass(0.45 * OUT_RATE, sampleRate), new LowPass(0.45 * OUT_RATE, sampleRate)] : [];
    this.pos = 0; // next output instant, in input samples from the start of this block
    this.prev = 0; // the last (filtered) input sample of the previous block
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
    this.sumSquares = 0;
    this.mono = null;
    this.on = true;
    this.port.onmessage = (event) => {
      if (event.data && typeof event.data.on === "boolean") this.on = event.data.on;
    };
  }

  push(sample) {
    const s = Math.max(-1, Math.min(1, sample));
    this.frame[this.filled++] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
    this.sumSquares += s * s;
    if (this.filled === FRAME) {
      const level = Math.sqrt(this.sumSquares / FRAME);
      const buffer = this.frame.buffer;
      this.port.postMessage({ pcm: buffer, level }, [buffer]);
      this.frame = new Int16Array(FRAME);
      this.filled = 0;
      this.sumSquares = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!this.on || !input || input.length === 0 || !input[0]) return true;
    const n = input[0].length;
    if (!this.mono || this.mono.length !== n) this.mono = new Float32Array(n);
    const mono = this.mono;
    // Mix every channel down to mono.
    mono.set(input[0]);
    for (let c = 1; c < input.length; c++) {
      const ch = input[c];
      for (let i = 0; i < n; i++) mono[i] += ch[i];
    }
    if (input.length > 1) for (let i = 0; i < n; i++) mono[i] /= input.length;

    if (!this.resampling) {
      for (let i = 0; i < n; i++) this.push(mono[i]);
      return true;
    }
    for (const f of this.filters) for (let i = 0; i < n; i++) mono[i] = f.step(mono[i]);
    // Output instants t in [-1, n - 1): between the previous block's last sample (t = -1)
    // and this block's samples.
    let t = this.pos;
    while (t < n - 1) {
      const i = Math.floor(t);
      const frac = t - i;
      const a = i < 0 ? this.prev : mono[i];
      const b = mono[i + 1];
      this.push(a + (b - a) * frac);
      t += this.ratio;
    }
    this.pos = t - n;
    this.prev = mono[n - 1];
    return true;
  }
}

registerProcessor("mic-capture", MicCapture);
