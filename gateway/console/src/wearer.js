// The wearer's view: who is watching my camera now, and why.
import { api, el, polled, time } from "./api.js";

let me;

export function init(person) {
  me = person;
}

export const { shown, hidden } = polled(3000, load);

async function load() {
  const note = document.getElementById("wearer-camera");
  const officers = await api("/api/location/officers");
  const mine = officers.features.find((f) => f.properties.officerId === me.officerId);
  if (!mine) {
    note.textContent = "No camera is assigned to you on the map right now.";
    document.getElementById("wearer-viewers").replaceChildren();
    return;
  }
  const cameraId = mine.properties.cameraId;
  const viewers = await api(`/api/ingest/cameras/${encodeURIComponent(cameraId)}/viewers`);
  const list = viewers.viewers ?? viewers;
  note.textContent = `Camera ${cameraId} · ${mine.properties.recording ? "recording" : "not recording"} · ${list.length} watching`;
  document.getElementById("wearer-viewers").replaceChildren(...(list.length
    ? list.map((v) => el("li", {}, el("strong", {}, `${v.viewerId} (${v.role})`), ` · ${v.purpose} · since ${time(v.since)}`))
    : [el("li", {}, "Nobody is watching your camera.")]));
}
