// The live map: every officer with a camera, coloured by state, kept current from the location
// service's change feed. The list beside the map is the keyboard way to the same officers.
import { fetchEventSource } from "./vendor/fetch-event-source/index.js";
import { api, bearer, el, refill, say, time } from "./api.js";
import { L, baseMap, marker, restyle, stateOf } from "./geo.js";
import * as live from "./live.js";

const officers = new Map(); // officerId -> { feature, marker }
const operations = new Map(); // operationId -> operation
let map;
let selected = null;
let feed;

export function init() {
  document.getElementById("filter-recording").addEventListener("change", render);
  document.getElementById("filter-text").addEventListener("input", renderSoon);
  document.getElementById("filter-operation").addEventListener("change", () => {
    render();
    // The officers' operations as location decides them now (an officer standing still sends no change).
    refreshOfficers().catch(() => say("Could not refresh the officers; the filter uses what the map last heard."));
    const op = operations.get(document.getElementById("filter-operation").value);
    if (op) map.fitBounds(L.geoJSON(op.area).getBounds(), { maxZoom: 15 });
  });
  const watchOperation = document.getElementById("watch-operation");
  document.getElementById("filter-operation").addEventListener("change", () => {
    watchOperation.disabled = !document.getElementById("filter-operation").value;
  });
  // The recording officers inside the operation's area, as location says, on the wall with one purpose and reason.
  watchOperation.addEventListener("click", () => {
    const op = operations.get(document.getElementById("filter-operation").value);
    if (!op) return;
    const cameras = [...officers.values()].map((o) => o.feature.properties)
      .filter((p) => p.recording && (p.operations ?? []).includes(op.operationId))
      .map((p) => ({ cameraId: p.cameraId, label: `${p.callsign || p.officerId}` }));
    if (cameras.length === 0) {
      say(`No officer is recording in ${op.name} now.`);
      return;
    }
    live.askMany({ cameras, label: `${cameras.length} recording officer${cameras.length === 1 ? "" : "s"} in ${op.name}`, incidentRef: op.incidentRef ?? "" });
  });
  document.getElementById("details-watch").addEventListener("click", () => {
    const p = officers.get(selected)?.feature.properties;
    if (p) live.ask({ cameraId: p.cameraId, label: `${p.callsign || p.officerId}` });
  });
}

export async function shown() {
  if (map) {
    map.invalidateSize();
    return;
  }
  map = await baseMap("map");
  await Promise.all([loadOperations(), loadOfficers()]);
  follow();
}

async function loadOperations() {
  const list = await api("/api/location/operations");
  const select = document.getElementById("filter-operation");
  for (const op of list) {
    operations.set(op.operationId, op);
    select.append(el("option", { value: op.operationId }, `${op.name} (${op.kind})`));
    L.geoJSON(op.area, { style: { color: "#1d4ed8", weight: 2, fillOpacity: 0.06, dashArray: "6 4" } })
      .bindTooltip(`${op.name}${op.incidentRef ? ` · ${op.incidentRef}` : ""}`)
      .addTo(map);
  }
}

async function refreshOfficers() {
  const collection = await api("/api/location/officers");
  for (const feature of collection.features) upsert(feature);
  render();
}

async function loadOfficers() {
  await refreshOfficers();
  const points = [...officers.values()].map((o) => o.marker.getLatLng());
  if (points.length) map.fitBounds(L.latLngBounds(points), { maxZoom: 14, padding: [30, 30] });
}

function follow() {
  feed = new AbortController();
  fetchEventSource("/api/location/stream", {
    headers: { Authorization: `Bearer ${bearer()}` },
    signal: feed.signal,
    openWhenHidden: true,
    onmessage(message) {
      if (!message.data) return;
      const change = JSON.parse(message.data);
      if (change.feature) upsert(change.feature);
      else if (change.officerId) remove(change.officerId);
      renderSoon();
    },
    onerror() {
      // fetch-event-source retries on its own; say so once.
      say("The live map lost its feed; reconnecting…");
    },
  });
}

function upsert(feature) {
  const p = feature.properties;
  const [lon, lat] = feature.geometry.coordinates;
  const state = stateOf(p);
  const known = officers.get(p.officerId);
  if (known) {
    known.feature = feature;
    known.marker.setLatLng([lat, lon]);
    restyle(known.marker, state);
    known.marker.setTooltipContent(label(p));
  } else {
    const m = marker([lat, lon], state, label(p), p.officerId).on("click", () => select(p.officerId));
    officers.set(p.officerId, { feature, marker: m });
  }
  if (selected === p.officerId) details(p.officerId);
}

function remove(officerId) {
  officers.get(officerId)?.marker.remove();
  officers.delete(officerId);
}

const name = (p) => (p.callsign && p.callsign !== p.officerId ? `${p.callsign} (${p.officerId})` : p.officerId);
const label = (p) => `${name(p)} · ${stateOf(p)}${p.live ? " · live" : ""}`;

function visible(feature) {
  const p = feature.properties;
  if (document.getElementById("filter-recording").checked && !p.recording) return false;
  const text = document.getElementById("filter-text").value.trim().toLowerCase();
  if (text && !`${p.officerId} ${p.callsign ?? ""}`.toLowerCase().includes(text)) return false;
  // Who is inside an operation's area is location's decision, carried on each officer's feature.
  const operationId = document.getElementById("filter-operation").value;
  return !operationId || (p.operations ?? []).includes(operationId);
}

// A busy force sends many changes a second: draw at most twice a second.
let pending = null;
function renderSoon() {
  pending ??= setTimeout(() => {
    pending = null;
    render();
  }, 300);
}

const listLimit = 200;

function render() {
  const list = document.getElementById("officer-list");
  const items = [];
  let shownCount = 0;
  for (const [officerId, o] of [...officers].sort(([a], [b]) => a.localeCompare(b))) {
    const show = visible(o.feature);
    if (show && !map.hasLayer(o.marker)) o.marker.addTo(map);
    if (!show && map.hasLayer(o.marker)) o.marker.remove();
    if (!show) continue;
    if (++shownCount > listLimit) continue;
    const p = o.feature.properties;
    items.push(el("li", {},
      el("button", { type: "button", id: `officer-item-${officerId}`, "data-officer": officerId, onclick: () => select(officerId, true) },
        el("span", { className: `dot ${stateOf(p)}`, "aria-hidden": "true" }),
        `${name(p)} · ${stateOf(p)}${p.live ? ", live" : ""}`)));
  }
  if (shownCount > listLimit) items.push(el("li", { className: "more" }, `and ${shownCount - listLimit} more: filter or zoom to narrow.`));
  refill(list, items);
  document.getElementById("officer-count").textContent = `(${shownCount})`;
}

async function select(officerId, pan = false) {
  selected = officerId;
  const o = officers.get(officerId);
  if (!o) return;
  if (pan) map.panTo(o.marker.getLatLng());
  await details(officerId);
}

async function details(officerId) {
  const o = officers.get(officerId);
  const panel = document.getElementById("details");
  if (!o) {
    panel.hidden = true;
    return;
  }
  const p = o.feature.properties;
  panel.hidden = false;
  document.getElementById("details-title").textContent = name(p);
  const facts = [
    ["State", stateOf(p)], ["Camera", p.cameraId], ["Command", p.command || "-"], ["Live", p.live ? "yes" : "no"],
    ["Viewers", p.viewers], ["Battery", p.batteryPct == null ? "-" : `${Math.round(p.batteryPct)}%`], ["Position at", time(p.at)],
  ];
  document.getElementById("details-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const watch = document.getElementById("details-watch");
  watch.disabled = !p.recording;
  watch.title = p.recording ? "" : "Only a recording camera can be watched.";
  const [lon, lat] = o.feature.geometry.coordinates;
  try {
    const nearest = await api(`/api/location/officers/nearest?lat=${lat}&lon=${lon}&count=5`);
    document.getElementById("details-nearest").replaceChildren(...nearest
      .filter((n) => n.officerId !== officerId).slice(0, 4)
      .map((n) => el("li", {}, el("button", { type: "button", onclick: () => select(n.officerId, true) },
        `${name(n)} · ${Math.round(n.distanceM)} m · ${stateOf(n)}`))));
  } catch (e) {
    say(e.message);
  }
}
