// Asking to watch (purpose, reason, incident reference) and the live player: MSE fed from the
// WebSocket (init segment, then fragments), LL-HLS through hls.js where MSE or the socket is not
// available. When the server cuts the stream, the player says so and why.
import { api, el, say, time, every, Problem } from "./api.js";
import { openTalk, supported as talkSupported } from "./talk.js";

let shell;
let asking = null; // { cameraId, label }
let current = null; // { grant, cameraId, label, stop() }
let countdown;

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
  document.getElementById("live-stop").addEventListener("click", () => stopWatching());
  document.getElementById("instruct-form").addEventListener("submit", (e) => {
    e.preventDefault();
    instruct();
  });
  const talkButton = document.getElementById("talk-button");
  const press = (e) => { e.preventDefault(); talkPress(); };
  const release = () => current?.talk?.release();
  talkButton.addEventListener("pointerdown", press);
  talkButton.addEventListener("pointerup", release);
  talkButton.addEventListener("pointerleave", release);
  talkButton.addEventListener("keydown", (e) => { if ((e.key === " " || e.key === "Enter") && !e.repeat) press(e); });
  talkButton.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") release(); });
  document.getElementById("bookmark-form").addEventListener("submit", (e) => {
    e.preventDefault();
    bookmark();
  });
}

// Instructions and bookmarks act on the grant being watched: the viewer's own sign-in, and the grant's
// stream token beside it, so only the holder of a live grant can speak to the wearer or mark a moment.
const onGrant = () => ({ "Stream-Token": current.grant.streamToken });

/** Push-to-talk: the talk opens on the first press and stays open (to hear the wearer) while watching. */
function talkPress() {
  if (!current) return;
  const status = (text) => { document.getElementById("talk-status").textContent = text; };
  if (!talkSupported()) {
    status("Talk needs a browser with WebCodecs Opus (Chrome, Edge); send a text instruction instead.");
    return;
  }
  current.talk ??= openTalk(current.cameraId, current.grant.streamToken, status);
  current.talk.press();
}

async function instruct() {
  if (!current) return;
  const input = document.getElementById("instruct-text");
  try {
    await api(`/api/streaming/cameras/${encodeURIComponent(current.cameraId)}/messages`, { method: "POST", body: { text: input.value }, headers: onGrant() });
    input.value = "";
    await instructions();
  } catch (e) {
    say(`Not sent: ${e.problem?.errors ? Object.values(e.problem.errors).flat().join(" ") : e.message}`);
  }
}

/** What this viewer told the wearer, and whether the camera has acknowledged each. */
async function instructions() {
  if (!current) return;
  const sent = await api(`/api/streaming/cameras/${encodeURIComponent(current.cameraId)}/messages?limit=10`);
  document.getElementById("instructions").replaceChildren(...sent.map((m) => el("li", {},
    m.text, " ",
    m.acknowledgedAt
      ? el("span", { className: "state acknowledged" }, `✓ seen by the wearer at ${time(m.acknowledgedAt)}`)
      : el("span", { className: "state" }, `sent ${time(m.sentAt)}, waiting for the camera`))));
}

/**
 * Marks the moment the player shows: now, less how far the picture is behind the newest video the
 * player holds (the newest fragment left the camera a fraction of a second before it arrived).
 */
async function bookmark() {
  if (!current) return;
  const video = document.getElementById("player");
  const ranges = video.buffered;
  const behind = ranges.length ? Math.max(0, ranges.end(ranges.length - 1) - video.currentTime) : 0;
  const at = new Date(Date.now() - behind * 1000).toISOString();
  const input = document.getElementById("bookmark-note");
  try {
    const marked = await api(`/api/streaming/cameras/${encodeURIComponent(current.cameraId)}/bookmarks`, { method: "POST", body: { at, note: input.value }, headers: onGrant() });
    input.value = "";
    document.getElementById("bookmarks").prepend(el("li", {}, `Bookmarked ${time(marked.at)}`, marked.note ? `: ${marked.note}` : ""));
    say("Bookmarked for the evidence record.");
  } catch (e) {
    say(`Not bookmarked: ${e.problem?.errors ? Object.values(e.problem.errors).flat().join(" ") : e.message}`);
  }
}

/** Opens the watch dialog for a camera; the incident reference may come filled in (deep links). */
export function ask({ cameraId, label, incidentRef = "", purpose = "" }) {
  asking = { cameraId, label };
  document.getElementById("watch-who").textContent = label;
  document.getElementById("watch-purpose").value = purpose;
  document.getElementById("watch-reason").value = "";
  document.getElementById("watch-incident").value = incidentRef;
  document.getElementById("watch-error").textContent = "";
  document.getElementById("watch-submit").disabled = false;
  document.getElementById("watch-dialog").showModal();
  document.getElementById("watch-purpose").focus();
}

async function request() {
  const error = document.getElementById("watch-error");
  const submit = document.getElementById("watch-submit");
  error.textContent = "";
  submit.disabled = true;
  const body = {
    cameraId: asking.cameraId,
    purpose: document.getElementById("watch-purpose").value,
    reason: document.getElementById("watch-reason").value.trim(),
    incidentRef: document.getElementById("watch-incident").value.trim() || undefined,
  };
  try {
    let answer = await api("/api/authorisation/view-requests", { method: "POST", body });
    if (answer.decision === "pending") {
      error.textContent = `Waiting for a ${answer.approverRole} to approve this request…`;
      answer = await approval(answer.requestId);
    }
    document.getElementById("watch-dialog").close();
    await watch(answer, body.purpose);
  } catch (e) {
    const p = e instanceof Problem ? e.problem : null;
    error.textContent = p?.decision === "denied"
      ? `Refused (${p.rule}, policy ${p.policyVersion}): ${p.explanation || p.detail}`
      : p?.errors ? Object.values(p.errors).flat().join(" ") : e.message;
    submit.disabled = false;
  }
}

async function approval(requestId) {
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const grant = await api(`/api/authorisation/view-requests/${encodeURIComponent(requestId)}`);
    if (grant.state === "active" && grant.streamToken) return grant;
    if (grant.state !== "pending") throw new Error(`The request was ${grant.state}${grant.endReason ? `: ${grant.endReason}` : ""}.`);
  }
}

async function watch(grant, purpose) {
  await stopWatching(false);
  shell.show("live");
  document.getElementById("live-empty").hidden = true;
  document.getElementById("live-panel").hidden = false;
  document.getElementById("live-purpose").textContent = `${purpose} · grant ${grant.grantId}`;
  const status = document.getElementById("live-status");
  status.classList.remove("cut");
  status.textContent = `Connecting to ${asking.label}…`;
  current = { grant, cameraId: grant.cameraId, label: asking.label, expiresAt: new Date(grant.expiresAt) };
  controls(true);
  const stopPlaying = play(grant.cameraId, grant.streamToken);
  const stopPolling = every(2000, instructions);
  current.stopPolling = stopPolling;
  const view = current;
  view.stop = (message) => { stopPolling(); view.talk?.close(); stopPlaying(message); };
  document.getElementById("instructions").replaceChildren();
  document.getElementById("bookmarks").replaceChildren();
  document.getElementById("talk-status").textContent = "";
  tick();
  clearInterval(countdown);
  countdown = setInterval(tick, 1000);
}

function tick() {
  const node = document.getElementById("live-remaining");
  if (!current) {
    node.textContent = "-";
    return;
  }
  const left = Math.max(0, Math.round((current.expiresAt - Date.now()) / 1000));
  node.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}

async function extend() {
  if (!current) return;
  const reason = document.getElementById("extend-reason").value.trim();
  try {
    const extended = await api(`/api/authorisation/grants/${encodeURIComponent(current.grant.grantId)}/extend`, { method: "POST", body: { reason } });
    current.expiresAt = new Date(extended.expiresAt);
    current.grant.streamToken = extended.streamToken;
    document.getElementById("extend-reason").value = "";
    say("The grant was extended.");
    tick();
  } catch (e) {
    say(`Not extended: ${e.message}`);
  }
}

/** Extend and stop apply only while a grant is being watched. */
function controls(on) {
  for (const node of document.querySelectorAll("#extend-form input, #extend-form button, #live-stop, .supervise input, .supervise button")) node.disabled = !on;
}

async function stopWatching(revoke = true) {
  if (!current) return;
  const { grant, stop } = current;
  current = null;
  controls(false);
  stop(revoke ? "You stopped watching." : null);
  if (revoke) {
    await api(`/api/authorisation/grants/${encodeURIComponent(grant.grantId)}/revoke`, { method: "POST", body: { reason: "viewer stopped watching" } })
      .catch((e) => say(e.message));
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

/** Says why the stream stopped, from the WebSocket close reason ("grant-revoked: <reason>"). */
function cut(reason) {
  const status = document.getElementById("live-status");
  const [code, ...rest] = (reason || "").split(": ");
  const detail = rest.join(": ");
  status.textContent = `Stream stopped. ${endings[code] || code || "The connection closed"}${detail ? `: ${detail}` : ""}.`;
  status.classList.add("cut");
  controls(false);
  clearInterval(countdown);
  current?.stopPolling?.();
  current?.talk?.close();
  current = null;
  tick();
}

function play(cameraId, token) {
  const video = document.getElementById("player");
  const status = document.getElementById("live-status");
  if (!window.MediaSource) return playHls(video, cameraId, token);

  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The stream token travels as a subprotocol, not in the URL (where proxies and histories keep it).
  const socket = new WebSocket(`${scheme}://${location.host}/live/${encodeURIComponent(cameraId)}/ws`, ["bodycam.live", `bodycam.token.${token}`]);
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
      // Stay live: jump forward when more than two seconds behind the newest frame.
      if (ranges.length && ranges.end(ranges.length - 1) - video.currentTime > 2) video.currentTime = ranges.end(ranges.length - 1) - 0.3;
      if (video.paused) video.play().catch(() => {});
      pump();
    });
    status.textContent = "Live.";
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
    if (stopping) return;
    if (!opened) {
      status.textContent = "The live socket was refused; trying HLS.";
      stopHls = playHls(video, cameraId, token);
      return;
    }
    cut(event.reason || (event.code === 1006 ? "The connection dropped" : ""));
  };
  const trimmer = setInterval(() => trim(false), 10000);
  let stopHls = null;
  return (message) => {
    stopping = true;
    clearInterval(trimmer);
    socket.close(1000);
    stopHls?.();
    if (message) {
      status.textContent = message;
      status.classList.remove("cut");
    }
  };
}

function playHls(video, cameraId, token) {
  const status = document.getElementById("live-status");
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
      xhrSetup: (xhr, requestUrl) => {
        if (requestUrl.includes("index.m3u8")) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      },
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { status.textContent = "Live (HLS)."; video.play().catch(() => {}); });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      const code = data.response?.code;
      cut(code === 401 || code === 403 ? "grant-revoked" : code === 404 ? "stream-ended" : `HLS error (${data.details})`);
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
