// Compliance replay: an incident's or a camera's timeline from the audit record. The scrubber moves
// through it in order; the map shows where each camera was at that moment and the list marks the
// access events (requests, decisions, sessions, revokes, alerts). The chain is verified over the
// same range, and that range can be exported for a regulator.
import { api, el, say, dateTime, time } from "./api.js";
import { L, baseMap, marker } from "./geo.js";

let map;
let layer;
let items = [];
let tracks = new Map(); // cameraId -> [{ at, lat, lon }]
let range = null;

const access = new Set(["ViewRequestDecided", "ViewRequestApproved", "ViewRequestRefused", "GrantExtended", "GrantRevoked", "GrantExpired",
  "ViewerSessionStarted", "ViewerSessionEnded", "AccessRefused", "MisuseAlertRaised", "MisuseAlertRecurred", "MisuseAlertAcknowledged",
  "InstructionSent", "InstructionAcknowledged", "BookmarkMarked", "TalkSessionStarted", "TalkSessionEnded"]);

export function init() {
  document.getElementById("replay-form").addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch((err) => say(err.message));
  });
  document.getElementById("replay-scrubber").addEventListener("input", (e) => moveTo(Number(e.target.value)));
  document.getElementById("export-csv").addEventListener("click", () => exportRange("csv"));
  document.getElementById("export-json").addEventListener("click", () => exportRange("json"));
}

export async function shown() {
  if (!map) map = await baseMap("replay-map");
  else map.invalidateSize();
}

async function load() {
  const incident = document.getElementById("replay-incident").value.trim();
  const camera = document.getElementById("replay-camera").value.trim();
  const from = document.getElementById("replay-from").value;
  const to = document.getElementById("replay-to").value;
  const query = new URLSearchParams();
  if (incident) query.set("incidentRef", incident);
  else if (camera) {
    query.set("cameraId", camera);
    if (from) query.set("from", new Date(from).toISOString());
    if (to) query.set("to", new Date(to).toISOString());
  } else {
    say("Give an incident reference, or a camera and a window.");
    return;
  }
  const timeline = await api(`/api/audit/timeline?${query}`);
  items = timeline.items;
  tracks = new Map();
  for (const item of items) {
    if (item.type !== "TelemetryReported" || !item.cameraId) continue;
    const track = tracks.get(item.cameraId) ?? [];
    for (const s of item.data.samples ?? []) track.push({ at: new Date(s.at), lat: s.lat, lon: s.lon });
    tracks.set(item.cameraId, track);
  }
  for (const track of tracks.values()) track.sort((a, b) => a.at - b.at);

  document.getElementById("replay-result").hidden = false;
  map.invalidateSize();
  const list = document.getElementById("replay-events");
  list.replaceChildren(...items.map((item, i) => el("li", { "data-seq": item.seq, className: access.has(item.type) ? "access" : "" },
    el("button", { type: "button", className: "link", onclick: () => { scrubber.value = i; moveTo(i); } }, `${time(item.at)} `),
    describe(item))));
  const scrubber = document.getElementById("replay-scrubber");
  scrubber.max = Math.max(0, items.length - 1);
  scrubber.value = 0;
  const points = [...tracks.values()].flat().map((p) => [p.lat, p.lon]);
  if (points.length) map.fitBounds(L.latLngBounds(points), { maxZoom: 15, padding: [30, 30] });
  moveTo(0);
  if (timeline.truncated) say("The timeline was cut at its limit; narrow the window to see the rest.");
  await verify();
}

function describe(item) {
  const d = item.data ?? {};
  switch (item.type) {
    case "RecordingStarted": return `camera ${item.cameraId} started recording`;
    case "RecordingStopped": return `camera ${item.cameraId} stopped recording`;
    case "TelemetryReported": return `${d.samples?.length ?? 0} position(s) from camera ${item.cameraId}`;
    case "ViewRequestDecided":
      return `${d.viewerId} (${d.viewerRole}) asked to watch ${d.officerId || d.cameraId} for ${d.purpose}: "${d.reason}"${d.incidentRef ? ` [${d.incidentRef}]` : ""} → ${d.decision} (${d.rule})`;
    case "GrantRevoked": return `grant ${d.grantId} of ${d.viewerId} revoked by ${d.actorId}: "${d.reason}"`;
    case "GrantExtended": return `grant ${d.grantId} extended by ${item.actorId}`;
    case "GrantExpired": return `grant ${d.grantId} expired`;
    case "ViewerSessionStarted": return `${d.viewerId} started watching camera ${d.cameraId} (session ${d.sessionId})`;
    case "ViewerSessionEnded": return `${d.viewerId} stopped watching camera ${d.cameraId}: ${d.reason} after ${Math.round((d.durationMs ?? 0) / 1000)} s`;
    case "AccessRefused": return `refused ${d.method} ${d.path} for ${item.actorId}: ${d.reason}`;
    case "MisuseAlertRaised": return `misuse alert ${d.rule} on ${d.viewerId}: ${d.explanation}`;
    case "MisuseAlertRecurred": return `misuse alert ${d.rule} on ${d.viewerId} fired ${d.count} more time${d.count === 1 ? "" : "s"}: ${d.explanation}`;
    case "WatchMeRequested": return `Watch Me from camera ${item.cameraId}`;
    case "StreamWentLive": return `camera ${item.cameraId} went live`;
    case "StreamEnded": return `camera ${item.cameraId} stopped streaming`;
    case "InstructionSent": return `${d.viewerId} told the wearer of camera ${d.cameraId}: "${d.text}"`;
    case "InstructionAcknowledged": return `camera ${d.cameraId} acknowledged ${d.viewerId}'s instruction`;
    case "BookmarkMarked": return `${d.viewerId} bookmarked ${new Date(d.moment).toLocaleTimeString()} on camera ${d.cameraId}${d.note ? `: "${d.note}"` : ""}`;
    case "TalkSessionStarted": return `${d.viewerId} opened a talk with the wearer of camera ${d.cameraId}`;
    case "TalkSessionEnded": return `${d.viewerId}'s talk with camera ${d.cameraId} ended (${d.reason}) after ${Math.round((d.durationMs ?? 0) / 1000)} s, ${d.framesFromViewer} packets out, ${d.framesFromCamera} back${d.audioSha256 ? `, recording sha256 ${d.audioSha256.slice(0, 12)}…` : ""}`;
    default: return `${item.type} · ${item.actorId} · ${item.subject}`;
  }
}

function moveTo(index) {
  const item = items[index];
  if (!item) return;
  const at = new Date(item.at);
  document.getElementById("replay-at").textContent = `${dateTime(item.at)} (${index + 1} of ${items.length})`;
  layer?.remove();
  layer = L.layerGroup().addTo(map);
  for (const [cameraId, track] of tracks) {
    let last = null;
    for (const p of track) {
      if (p.at > at) break;
      last = p;
    }
    if (last) marker([last.lat, last.lon], "recording", `camera ${cameraId} at ${time(last.at.toISOString())}`, cameraId).addTo(layer);
  }
  const list = document.getElementById("replay-events").children;
  for (let i = 0; i < list.length; i++) {
    list[i].classList.toggle("current", i === index);
    list[i].classList.toggle("past", i < index);
    list[i].classList.toggle("future", i > index);
  }
  list[index]?.scrollIntoView({ block: "nearest" });
}

async function verify() {
  const status = document.getElementById("replay-chain");
  if (!items.length) {
    status.textContent = "Nothing was recorded for this.";
    range = null;
    return;
  }
  const seqs = items.map((i) => i.seq);
  range = { from: Math.min(...seqs), to: Math.max(...seqs) };
  status.textContent = "Verifying the chain over this range…";
  const result = await api(`/api/audit/verify?from=${range.from}&to=${range.to}`);
  status.textContent = result.ok
    ? `Chain verified: entries ${result.from} to ${result.to} (${result.checked} checked) are intact.`
    : `Chain broken at entry ${result.firstBrokenSeq}: ${result.problem}`;
  status.className = result.ok ? "ok" : "error";
}

async function exportRange(format) {
  if (!range) return;
  const response = await api(`/api/audit/export?format=${format}&from=${range.from}&to=${range.to}`, { raw: true });
  const blob = await response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `bodycam-audit-${range.from}-${range.to}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
