// The time slider: scrubs back through the experiment. Moving it asks the server for the fleet
// as it was then (GET /edgesim/state?at=T, rebuilt from the event log) and shows that on the
// map, until "Live" (or the slider's right end) brings the live fleet back. While in the past,
// events still arrive and are kept; they are applied when the map goes live again.

import { call } from "./api.js";
import { secondsLabel } from "./panels.js";

const $ = (id) => document.getElementById(id);
const SETTLE_MS = 120; // a drag asks once it pauses, not at every pixel

export class TimeSlider {
  constructor(onPast, onLive, onError) {
    this.at = null; // null: live
    this.now = 0;
    this.asked = 0; // answers may come back out of order: only the last question counts
    this.timer = null;
    this.onPast = onPast;
    this.onLive = onLive;
    this.onError = onError;
    const slider = $("time-slider");
    slider.addEventListener("input", () => {
      const t = Number(slider.value);
      this.label(t >= this.now ? null : t);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.go(t >= this.now ? null : t), SETTLE_MS);
    });
    $("live-button").addEventListener("click", () => this.go(null));
  }

  // The clock moved: the slider reaches to now (and stays at its end while live).
  clock(now) {
    this.now = now;
    const slider = $("time-slider");
    slider.max = String(now);
    if (this.at === null) slider.value = String(now);
    this.label(this.at);
  }

  label(t) {
    $("replay-label").textContent = t === null ? "live" : `t=${secondsLabel(t)} of ${secondsLabel(this.now)}`;
    $("replay-label").dataset.at = t === null ? "" : String(t);
    $("live-button").hidden = t === null;
  }

  async go(t) {
    const asked = ++this.asked;
    if (t === null) {
      this.at = null;
      $("time-slider").value = String(this.now);
      this.label(null);
      document.body.dataset.replay = "false";
      return this.onLive();
    }
    try {
      const snapshot = await call("GET", `/edgesim/state?at=${t}`);
      if (asked !== this.asked) return;
      this.at = t;
      document.body.dataset.replay = "true";
      this.label(t);
      this.onPast(snapshot);
    } catch (err) {
      this.onError(err);
    }
  }
}
