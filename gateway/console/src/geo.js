// Map helpers shared by the live map and the replay: the base layer (tiles only when the force
// configured a tile server; otherwise a plain grid with a scale) and officer markers by state.
import * as L from "./vendor/leaflet/leaflet.js";

let settings;
export async function config() {
  settings ??= await fetch("config.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  return settings;
}

export async function baseMap(elementId) {
  const { tileUrl, tileAttribution, center = [52.4862, -1.8904], zoom = 11 } = await config();
  const map = L.map(elementId, { center, zoom, keyboard: true, attributionControl: Boolean(tileUrl) });
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    new Grid().addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

/** A faint grid in place of tiles, so distances still read against the scale. */
const Grid = L.GridLayer.extend({
  createTile(coords) {
    const tile = document.createElement("canvas");
    const size = this.getTileSize();
    tile.width = size.x;
    tile.height = size.y;
    const g = tile.getContext("2d");
    g.strokeStyle = "rgba(100,116,139,0.25)";
    g.strokeRect(0, 0, size.x, size.y);
    return tile;
  },
});

export function stateOf(p) {
  if (p.viewers > 0) return "watched";
  if (p.recording) return "recording";
  return "idle";
}

const colours = { recording: "#dc2626", watched: "#7c3aed", idle: "#64748b" };

/** A class naming the marker's officer or camera, so it can be found (tests, styles). */
export const markerClass = (id) => `marker-${String(id).replace(/[^A-Za-z0-9_-]/g, "_")}`;

export function marker(latlng, state, label, id = "") {
  return L.circleMarker(latlng, {
    className: `officer ${markerClass(id)}`,
    radius: state === "idle" ? 6 : 8,
    color: state === "watched" ? "#3b0764" : "#fff",
    weight: state === "watched" ? 3 : 2,
    fillColor: colours[state],
    fillOpacity: 0.95,
  }).bindTooltip(label);
}

export function restyle(m, state) {
  m.setStyle({ fillColor: colours[state], color: state === "watched" ? "#3b0764" : "#fff", weight: state === "watched" ? 3 : 2 });
  m.setRadius(state === "idle" ? 6 : 8);
}

export { L };
