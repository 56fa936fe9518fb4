// The interviewer's voice on the voice page: clips prefetched and played in order, one at a
// time, stopped when the candidate talks over them. Every clip that really started playing
// is reported started and, once it stops for any reason, ended.

// report(seq, event): event "started" or "ended"; onChange(): what is playing changed.
export function createPlayer({ report, onChange }) {
  let playing = null; // {seq, audio}
  let queue = [];

  function playNext() {
    const item = queue.shift();
    if (!item) {
      playing = null;
      onChange();
      return;
    }
    play(item);
  }

  function play(item) {
    playing = item;
    const finish = (reported) => {
      if (playing !== item) return;
      if (reported) report(item.seq, "ended");
      playing = null;
      playNext();
    };
    let started = false;
    item.audio.onended = () => finish(started);
    item.audio.onerror = () => finish(started);
    item.audio
      .play()
      .then(() => {
        started = true;
        report(item.seq, "started");
      })
      .catch(() => {
        // Autoplay refused (no click on this page yet): the caption is there, and its
        // Play button works.
        finish(false);
      });
    onChange();
  }

  function stop() {
    const item = playing;
    for (const queued of queue) queued.audio.removeAttribute("src");
    queue = [];
    if (!item) return;
    playing = null;
    item.audio.pause();
    report(item.seq, "ended");
    onChange();
  }

  return {
    // The seq of the line playing now, or null.
    get playingSeq() {
      return playing ? playing.seq : null;
    },
    // A line's turn comes after the ones queued before it.
    enqueue(seq, url) {
      const audio = new Audio();
      audio.preload = "auto"; // prefetch now: the line plays the moment it is its turn
      audio.src = url;
      queue.push({ seq, audio });
      if (!playing) playNext();
    },
    // A line played on request (its Play button): whatever was playing or queued stops.
    playNow(seq, url) {
      stop();
      play({ seq, audio: new Audio(url) });
    },
    stop,
  };
}
