// Asking to watch (purpose, reason, incident reference) one camera or an operation's recording
// officers, and the wall of live views: up to nine players at once, each on its own grant with its own
// countdown. Each plays MSE fed from the WebSocket (init segment, then fragments), or LL-HLS through
// hls.js where MSE or the socket is not available; when the server cuts a stream, its tile says why.
// The view in focus is the one the controls below act on: extend, stop, instruct, talk, bookmark.
import { api, el, say, time, every, Problem } from "./api.js";
import { openTalk, supported as talkSupported } from "./talk.js";

export const MAX_VIEWS = 9;

let shell;
let asking = null; // { cameras: [{ cameraId, label }], label }
const views = []; // { grant, cameraId, label, purpose, expiresAt, tile, video, status, stop(), talk, ended }
let focused = null;
let stopPolling = null;

export function init(_me, app) {
  shell = app;
  const dialog = document.getElementById("watch-dialog");
  document.getElementById("watch-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("watch-form").addEventListener("submit", (e) => {
    e.preventDefault();
    request();
  });
  document.getElementById("extend-form").addEventListener("submit", (e) => {
    e.preventDefault();
    extend();
  });
  document.getElementById("live-stop").addEventListener("click", () => { if (focused) stopWatching(focused); });
  document.getElementById("instruct-form").addEventListener("submit", (e) => {
    e.preventDefault();
    instruct();
  });
  const talkButton = document.getElementById("talk-button");
  const press = (e) => { e.preventDefault(); talkPress(); };
  const release = () => focused?.talk?.release();
  talkButton.addEventListener("pointerdown", press);
  talkButton.addEventListener("pointerup", release);
  talkButton.addEventListener("pointerleave", release);
  talkButton.addEventListener("keydown", (e) => { if ((e.key === " " || e.key === "Enter") && !e.repeat) press(e); });
  talkButton.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") release(); });
  document.getElementById("bookmark-form").addEventListener("submit", (e) => {
    e.preventDefault();
    bookmark();
  });
  document.getElementById("rewind-button").addEventListener("click", () => replay("-30s"));
  document.getElementById("live-button").addEventListener("click", () => replay(null));
  setInterval(tick, 1000);
}

// Instructions and bookmarks act on the grant being watched: the viewer's own sign-in, and the grant's
// stream token beside it, so only the holder of a live grant can speak to the wearer or mark a moment.
const onGrant = (view) => ({ "Stream-Token": view.grant.streamToken });
const live = () => (focused && !focused.ended ? focused : null);
const problemText = (e) => (e.problem?.errors ? Object.values(e.problem.errors).flat().join(" ") : e.message);

/** Push-to-talk: the talk opens on the first press and stays open (to hear the wearer) while watching. */
function talkPress() {
  const view = live();
  if (!view) return;
  const status = (text) => {
    view.talkStatus = text;
    if (view === focused) document.getElementById("talk-status").textContent = text;
  };
  if (!talkSupported()) {
    status("Talk needs a browser with WebCodecs Opus (Chrome, Edge); send a text instruction instead.");
    return;
  }
  view.talk ??= openTalk(view.cameraId, view.grant.streamToken, status);
  view.talk.press();
}

async function instruct() {
  const view = live();
  if (!view) return;
  const input = document.getElementById("instruct-text");
  try {
    await api(`/api/streaming/cameras/${encodeURIComponent(view.cameraId)}/messages`, { method: "POST", body: { text: input.value }, headers: onGrant(view) });
    input.value = "";
    await instructions();
  } catch (e) {
    say(`Not sent: ${problemText(e)}`);
  }
}

/** What this viewer told the wearer of the camera in focus, and whether the camera has acknowledged each. */
async function instructions() {
  const view = focused;
  if (!view) return;
  const sent = await api(`/api/streaming/cameras/${encodeURIComponent(view.cameraId)}/messages?limit=10`);
  if (view !== focused) return;
  document.getElementById("instructions").replaceChildren(...sent.map((m) => el("li", {},
    m.text, " ",
    m.acknowledgedAt
      ? el("span", { className: "state acknowledged" }, `✓ seen by the wearer at ${time(m.acknowledgedAt)}`)
      : el("span", { className: "state" }, `sent ${time(m.sentAt)}, waiting for the camera`))));
}

/**
 * Marks the moment the player in focus shows: now, less how far the picture is behind the newest
 * video the player holds (the newest fragment left the camera a fraction of a second before it arrived).
 */
async function bookmark() {
  const view = live();
  if (!view) return;
  const ranges = view.video.buffered;
  const behind = ranges.length ? Math.max(0, ranges.end(ranges.length - 1) - view.video.currentTime) : 0;
  const at = new Date(Date.now() - behind * 1000).toISOString();
  const input = document.getElementById("bookmark-note");
  try {
    const marked = await api(`/api/streaming/cameras/${encodeURIComponent(view.cameraId)}/bookmarks`, { method: "POST", body: { at, note: input.value }, headers: onGrant(view) });
    input.value = "";
    view.bookmarks.unshift(`Bookmarked ${time(marked.at)} on ${view.label}${marked.note ? `: ${marked.note}` : ""}`);
    showBookmarks();
    say("Bookmarked for the evidence record.");
  } catch (e) {
    say(`Not bookmarked: ${problemText(e)}`);
  }
}

function showBookmarks() {
  document.getElementById("bookmarks").replaceChildren(...(focused?.bookmarks ?? []).map((b) => el("li", {}, b)));
}

/**
 * Looks back 30 s in the view in focus (the stream's rewind buffer), or returns it to live: the
 * player reconnects once the old socket is closed, so the grant's one session moves, not doubles.
 */
async function replay(from) {
  const view = live();
  if (!view || view.replaying) return;
  view.replaying = true;
  try {
    await view.stop?.(null);
    if (view.ended) return;
    view.stop = play(view, from);
  } finally {
    view.replaying = false;
  }
}

/** Opens the watch dialog for a camera; the incident reference may come filled in (deep links). */
export function ask({ cameraId, label, incidentRef = "", purpose = "" }) {
  open({ cameras: [{ cameraId, label }], label }, incidentRef, purpose);
}

/**
 * Opens the watch dialog for several cameras at once (an operation's recording officers): one
 * purpose and reason, then one request per camera, each decided and recorded on its own.
 */
export function askMany({ cameras, label, incidentRef = "", purpose = "" }) {
  open({ cameras, label }, incidentRef, purpose);
}

function open(what, incidentRef, purpose) {
  asking = what;
  document.getElementById("watch-who").textContent = what.label;
  document.getElementById("watch-purpose").value = purpose;
  document.getElementById("watch-reason").value = "";
  document.getElementById("watch-incident").value = incidentRef;
  document.getElementById("watch-error").textContent = "";
  document.getElementById("watch-submit").disabled = false;
  document.getElementById("watch-dialog").showModal();
  document.getElementById("watch-purpose").focus();
}

const refusal = (e) => {
  const p = e instanceof Problem ? e.problem : null;
  return p?.decision === "denied"
    ? `Refused (${p.rule}, policy ${p.policyVersion}): ${p.explanation || p.detail}`
    : p?.errors ? Object.values(p.errors).flat().join(" ") : e.message;
};

async function request() {
  const error = document.getElementById("watch-error");
  const submit = document.getElementById("watch-submit");
  error.textContent = "";
  submit.disabled = true;
  const common = {
    purpose: document.getElementById("watch-purpose").value,
    reason: document.getElementById("watch-reason").value.trim(),
    incidentRef: document.getElementById("watch-incident").value.trim() || undefined,
  };
  const { cameras } = asking;
  if (cameras.length === 1) {
    try {
      let answer = await api("/api/authorisation/view-requests", { method: "POST", body: { ...common, cameraId: cameras[0].cameraId } });
      if (answer.decision === "pending") {
        error.textContent = `Waiting for a ${answer.approverRole} to approve this request…`;
        answer = await approval(answer.requestId);
      }
      document.getElementById("watch-dialog").close();
      watch(answer, cameras[0].label, common.purpose);
    } catch (e) {
      error.textContent = refusal(e);
      submit.disabled = false;
    }
    return;
  }

  // Several cameras: each request on its own, as far as the wall has room.
  const room = MAX_VIEWS - views.filter((v) => !cameras.some((c) => c.cameraId === v.cameraId)).length;
  const asked = cameras.slice(0, Math.max(0, room));
  const outcomes = await Promise.all(asked.map(async (camera) => {
    try {
      const answer = await api("/api/authorisation/view-requests", { method: "POST", body: { ...common, cameraId: camera.cameraId } });
      if (answer.decision === "pending") {
        approval(answer.requestId).then((grant) => watch(grant, camera.label, common.purpose)).catch((e) => say(`${camera.label}: ${e.message}`));
        return `${camera.label}: waiting for a ${answer.approverRole} to approve`;
      }
      watch(answer, camera.label, common.purpose);
      return null;
    } catch (e) {
      return `${camera.label}: ${refusal(e)}`;
    }
  }));
  document.getElementById("watch-dialog").close();
  const notes = outcomes.filter(Boolean);
  if (cameras.length > asked.length) notes.push(`${cameras.length - asked.length} more not asked for: the wall holds ${MAX_VIEWS} views.`);
  document.getElementById("wall-summary").replaceChildren(
    el("p", {}, `${asking.label}: ${asked.length - notes.filter((n) => !n.endsWith("views.")).length} of ${cameras.length} watching.`),
    ...(notes.length ? [el("ul", {}, notes.map((n) => el("li", {}, n)))] : []));
}

async function approval(requestId) {
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const grant = await api(`/api/authorisation/view-requests/${encodeURIComponent(requestId)}`);
    if (grant.state === "active" && grant.streamToken) return grant;
    if (grant.state !== "pending") throw new Error(`The request was ${grant.state}${grant.endReason ? `: ${grant.endReason}` : ""}.`);
  }
}

/** Adds a view to the wall (replacing an ended view of the same camera) and gives it focus. */
function watch(grant, label, purpose) {
  const same = views.find((v) => v.cameraId === grant.cameraId);
  if (same) remove(same, same.ended ? null : "revoke");
  if (views.length >= MAX_VIEWS) {
    const ended = views.find((v) => v.ended);
    if (ended) remove(ended);
    else {
      say(`The wall holds ${MAX_VIEWS} views: stop one first.`);
      return;
    }
  }
  shell.show("live");
  document.getElementById("live-empty").hidden = true;
  document.getElementById("live-panel").hidden = false;
  const video = el("video", { muted: true, autoplay: true, playsinline: true, "aria-label": `Live video of ${label}` });
  video.muted = true;
  const status = el("span", { className: "tile-status", role: "status" }, `Connecting to ${label}…`);
  const remaining = el("span", { className: "tile-remaining" });
  const view = { grant, cameraId: grant.cameraId, label, purpose, expiresAt: new Date(grant.expiresAt), video, status, remaining, bookmarks: [], ended: false };
  const choose = el("button", { type: "button", className: "tile-label", "aria-pressed": "false", onclick: () => focus(view) }, label);
  const end = el("button", { type: "button", className: "tile-end", "aria-label": `End view of ${label}`, onclick: () => (view.ended ? remove(view) : stopWatching(view)) }, "✕");
  view.choose = choose;
  view.tile = el("figure", { className: "tile", "data-camera": grant.cameraId }, video, el("figcaption", {}, choose, " ", status, " ", remaining, " ", end));
  // The status line of the tile in focus is mirrored below the wall, where it is read out.
  new MutationObserver(() => { if (view === focused) mirror(); }).observe(status, { childList: true, characterData: true, subtree: true });
  document.getElementById("wall").append(view.tile);
  views.push(view);
  view.stop = play(view);
  layout();
  focus(view);
  tick();
}

/** The controls below the wall act on this view; its player gets the id and the controls. */
function focus(view) {
  focused = view;
  for (const v of views) {
    const on = v === view;
    v.tile.classList.toggle("focused", on);
    v.choose.setAttribute("aria-pressed", String(on));
    v.video.controls = on;
    if (on) v.video.id = "player";
    else v.video.removeAttribute("id");
  }
  document.getElementById("instructions").replaceChildren();
  document.getElementById("talk-status").textContent = view?.talkStatus ?? "";
  showBookmarks();
  mirror();
  stopPolling?.();
  stopPolling = view && !view.ended ? every(2000, instructions) : null;
}

function mirror() {
  const node = document.getElementById("live-status");
  node.textContent = focused ? focused.status.textContent : "";
  node.classList.toggle("cut", !!focused?.ended);
  document.getElementById("live-purpose").textContent = focused ? `${focused.label} · ${focused.purpose} · grant ${focused.grant.grantId}` : "";
  controls(!!live());
  tick();
}

/** One column for one view, two for up to four, three for up to nine. */
function layout() {
  const wall = document.getElementById("wall");
  wall.dataset.views = String(views.length);
  wall.style.gridTemplateColumns = `repeat(${views.length <= 1 ? 1 : views.length <= 4 ? 2 : 3}, minmax(0, 1fr))`;
}

function tick() {
  for (const view of views) {
    const left = view.ended ? 0 : Math.max(0, Math.round((view.expiresAt - Date.now()) / 1000));
    view.remaining.textContent = view.ended ? "" : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  }
  document.getElementById("live-remaining").textContent = live() ? focused.remaining.textContent : "-";
}

async function extend() {
  const view = live();
  if (!view) return;
  const reason = document.getElementById("extend-reason").value.trim();
  try {
    const extended = await api(`/api/authorisation/grants/${encodeURIComponent(view.grant.grantId)}/extend`, { method: "POST", body: { reason } });
    view.expiresAt = new Date(extended.expiresAt);
    view.grant.streamToken = extended.streamToken;
    document.getElementById("extend-reason").value = "";
    say("The grant was extended.");
    tick();
  } catch (e) {
    say(`Not extended: ${e.message}`);
  }
}

/** Extend, stop and the supervision controls apply only while the view in focus is live. */
function controls(on) {
  for (const node of document.querySelectorAll("#extend-form input, #extend-form button, #live-stop, #rewind-button, #live-button, .supervise input, .supervise button")) node.disabled = !on;
}

/** Stops a view (revoking its grant) and takes it off the wall; the status says so if it was the last. */
async function stopWatching(view) {
  const last = views.length === 1;
  remove(view, "revoke");
  if (last) {
    const status = document.getElementById("live-status");
    status.textContent = "You stopped watching.";
    status.classList.remove("cut");
  }
}

function remove(view, revoke = null) {
  const at = views.indexOf(view);
  if (at < 0) return;
  views.splice(at, 1);
  view.talk?.close();
  view.stop?.(null);
  view.ended = true;
  view.tile.remove();
  layout();
  if (revoke) {
    api(`/api/authorisation/grants/${encodeURIComponent(view.grant.grantId)}/revoke`, { method: "POST", body: { reason: "viewer stopped watching" } })
      .catch((e) => say(e.message));
  }
  if (focused === view) {
    focused = null;
    focus(views[Math.min(at, views.length - 1)] ?? null);
  }
}

const endings = {
  "grant-revoked": "The grant was revoked",
  "grant-expired": "The grant expired",
  "recording-stopped": "The camera stopped recording",
  "stream-ended": "The camera's stream ended",
  "viewer-too-slow": "This connection could not keep up",
  "service-stopping": "The streaming service is restarting",
};

/** Says on its tile why a view's stream stopped, from the WebSocket close reason ("grant-revoked: <reason>"). */
function cut(view, reason) {
  const [code, ...rest] = (reason || "").split(": ");
  const detail = rest.join(": ");
  view.ended = true;
  view.talk?.close();
  view.stop?.(null);
  view.tile.classList.add("cut");
  view.status.textContent = `Stream stopped. ${endings[code] || code || "The connection closed"}${detail ? `: ${detail}` : ""}.`;
  if (view === focused) focus(view);
  tick();
}

/**
 * Plays a view: live, or from <from> back ("-30s": the server sends its rewind buffer from the last
 * keyframe before then, then live; the player stays where it started instead of jumping to the edge).
 * Returns stop(message), which resolves once the socket is closed (the server has let the session go).
 */
function play(view, from = null) {
  const { video, cameraId } = view;
  const token = view.grant.streamToken;
  const status = view.status;
  if (!window.MediaSource) return playHls(view);

  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The stream token travels as a subprotocol, not in the URL (where proxies and histories keep it).
  const query = from ? `?from=${encodeURIComponent(from)}` : "";
  const socket = new WebSocket(`${scheme}://${location.host}/live/${encodeURIComponent(cameraId)}/ws${query}`, ["bodycam.live", `bodycam.token.${token}`]);
  let closedNow;
  const closed = new Promise((resolve) => { closedNow = resolve; });
  let started = false;
  socket.binaryType = "arraybuffer";
  const media = new MediaSource();
  video.src = URL.createObjectURL(media);
  const queue = [];
  let buffer = null;
  let opened = false;
  let stopping = false;

  const pump = () => {
    if (!buffer || buffer.updating || queue.length === 0) return;
    try {
      buffer.appendBuffer(queue.shift());
    } catch (e) {
      if (e.name === "QuotaExceededError") trim(true);
      else status.textContent = `The player failed: ${e.message}`;
    }
  };
  const trim = (hard) => {
    if (!buffer || buffer.updating || buffer.buffered.length === 0) return;
    const keepFrom = video.currentTime - (hard ? 5 : 30);
    if (keepFrom > buffer.buffered.start(0) + 1) buffer.remove(buffer.buffered.start(0), keepFrom);
  };

  const setup = () => {
    if (buffer || media.readyState !== "open" || queue.length === 0) return;
    const type = `video/mp4; codecs="${codecsOf(queue[0])}"`;
    if (!MediaSource.isTypeSupported(type)) {
      status.textContent = `This browser cannot play ${type}.`;
      return;
    }
    buffer = media.addSourceBuffer(type);
    buffer.mode = "segments";
    buffer.addEventListener("updateend", () => {
      const ranges = buffer.buffered;
      if (from) {
        // Rewound: start at the oldest picture sent and play on from there, towards live.
        if (!started && ranges.length) {
          video.currentTime = ranges.start(0);
          started = true;
        }
      } else if (ranges.length) {
        // Stay at the live edge, within a second of the camera: more than 0.8 s behind the newest
        // frame held, jump to just before it; more than 0.3 s, play 10% faster until caught up.
        const behind = ranges.end(ranges.length - 1) - video.currentTime;
        if (behind > 0.8) video.currentTime = ranges.end(ranges.length - 1) - 0.1;
        video.playbackRate = behind > 0.3 ? 1.1 : 1;
      }
      if (video.paused) video.play().catch(() => {});
      pump();
    });
    status.textContent = from ? `Rewound ${from.slice(1).replace("s", " s").replace("m", " min")}: playing on towards live.` : "Live.";
  };

  socket.onopen = () => { opened = true; };
  socket.onmessage = (message) => {
    queue.push(new Uint8Array(message.data));
    setup();
    pump();
  };
  media.addEventListener("sourceopen", () => {
    setup();
    pump();
  });
  socket.onclose = (event) => {
    closedNow();
    if (stopping) return;
    if (!opened && !from) {
      status.textContent = "The live socket was refused; trying HLS.";
      stopHls = playHls(view);
      return;
    }
    cut(view, event.reason || (event.code === 1006 ? "The connection dropped" : ""));
  };
  const trimmer = setInterval(() => trim(false), 10000);
  let stopHls = null;
  return (message) => {
    stopping = true;
    clearInterval(trimmer);
    socket.close(1000);
    stopHls?.();
    if (message) status.textContent = message;
    return Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  };
}

function playHls(view) {
  const { video, cameraId } = view;
  const token = view.grant.streamToken;
  const status = view.status;
  let hls;
  let stopped = false;
  import("./vendor/hls/hls.mjs").then(({ default: Hls }) => {
    if (stopped) return;
    const url = `/live/${encodeURIComponent(cameraId)}/index.m3u8`;
    if (!Hls.isSupported()) {
      // Safari plays LL-HLS itself and cannot set headers: only there does the token go in the URL.
      video.src = `${url}?access_token=${encodeURIComponent(token)}`;
      return;
    }
    // The playlist is asked for with the stream token as a bearer header; the parts and segments it
    // names carry the session's short-lived key instead.
    hls = new Hls({
      lowLatencyMode: true,
      // Near the live edge: 0.3 s behind the newest part (the playlist's part hold-back is
      // three parts), catching up by playing faster (to 1.1x) rather than falling behind.
      liveSyncDuration: 0.3,
      liveMaxLatencyDuration: 2,
      maxLiveSyncPlaybackRate: 1.1,
      xhrSetup: (xhr, requestUrl) => {
        if (requestUrl.includes("index.m3u8")) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      },
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { status.textContent = "Live (HLS)."; video.play().catch(() => {}); });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      const code = data.response?.code;
      cut(view, code === 401 || code === 403 ? "grant-revoked" : code === 404 ? "stream-ended" : `HLS error (${data.details})`);
      hls.destroy();
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  });
  return (message) => {
    stopped = true;
    hls?.destroy();
    if (message) status.textContent = message;
  };
}

/** The codecs parameter from an init segment: avc1.PPCCLL from avcC, mp4a.40.2 when there is audio. */
export function codecsOf(init) {
  const codecs = [];
  const find = (name) => {
    for (let i = 4; i + 4 <= init.length; i++) {
      if (init[i] === name.charCodeAt(0) && init[i + 1] === name.charCodeAt(1) && init[i + 2] === name.charCodeAt(2) && init[i + 3] === name.charCodeAt(3)) return i;
    }
    return -1;
  };
  const avcC = find("avcC");
  if (avcC > 0) {
    const hex = (b) => b.toString(16).padStart(2, "0");
    codecs.push(`avc1.${hex(init[avcC + 5])}${hex(init[avcC + 6])}${hex(init[avcC + 7])}`);
  }
  if (find("mp4a") > 0) codecs.push("mp4a.40.2");
  return codecs.join(",") || "avc1.42E01E";
}
