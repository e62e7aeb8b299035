// Alerts: Watch Me requests for the control room (acknowledge, or watch with the Watch Me purpose)
// and misuse alerts for compliance (acknowledge once, with a note).
import { api, el, every, polled, refill, say, dateTime } from "./api.js";
import * as live from "./live.js";

let me;

export function init(person) {
  me = person;
}

const canSeeWatchMe = () => ["supervisor", "control-room", "admin"].includes(me.role);
const canSeeMisuse = () => ["compliance", "admin"].includes(me.role);

/** Keeps the count of open alerts on the navigation, whichever screen is shown. */
export function watchBadge(person) {
  me = person;
  if (!canSeeWatchMe() && !canSeeMisuse()) return;
  every(10000, async () => {
    const [watchMe, misuse] = await Promise.all([
      canSeeWatchMe() ? api("/api/ingest/cameras").then((c) => c.filter((x) => x.watchMeSince)) : [],
      canSeeMisuse() ? api("/api/audit/alerts?state=open").then((a) => a.items ?? a) : [],
    ]);
    const badge = document.getElementById("alert-count");
    const count = watchMe.length + misuse.length;
    badge.hidden = count === 0;
    badge.textContent = String(count);
    badge.setAttribute("aria-label", `${count} open`);
  });
}

export const { shown, hidden, refresh } = polled(4000, load);

async function load() {
  if (canSeeWatchMe()) {
    const cameras = (await api("/api/ingest/cameras")).filter((c) => c.watchMeSince);
    refill(document.getElementById("watchme-list"), cameras.length ? cameras.map(watchMeCard) : [el("li", {}, "No Watch Me is waiting.")]);
  }
  if (canSeeMisuse()) {
    const alerts = await api("/api/audit/alerts?state=open");
    const items = alerts.items ?? alerts;
    refill(document.getElementById("misuse-list"), items.length ? items.map(misuseCard) : [el("li", {}, "No open misuse alerts.")]);
  }
}

function watchMeCard(camera) {
  const who = camera.assignment ? `${camera.assignment.callsign || camera.assignment.officerId} (${camera.assignment.officerId})` : camera.cameraId;
  return el("li", { className: "urgent" },
    el("strong", {}, `Watch Me: ${who}`), ` since ${dateTime(camera.watchMeSince)} · camera ${camera.cameraId}`,
    el("div", { className: "inline" },
      el("button", { type: "button", className: "primary", onclick: () => live.ask({ cameraId: camera.cameraId, label: who, purpose: "watch-me-response" }) }, "Watch"),
      el("button", {
        type: "button",
        onclick: async () => {
          await api(`/api/ingest/cameras/${encodeURIComponent(camera.cameraId)}/watch-me/acknowledge`, { method: "POST", body: { note: "acknowledged from the console" } })
            .then(() => say(`Watch Me from ${who} acknowledged.`), (e) => say(e.message));
          refresh();
        },
      }, "Acknowledge")));
}

function misuseCard(alert) {
  const noteId = `note-${alert.id}`;
  const form = el("form", {
    className: "inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const note = form.querySelector("input").value.trim();
      await api(`/api/audit/alerts/${encodeURIComponent(alert.id)}/ack`, { method: "POST", body: { note } })
        .then(() => say("Alert acknowledged."), (err) => say(err.message));
      refresh();
    },
  },
  el("label", { for: noteId }, "Note"),
  el("input", { id: noteId, required: true, maxlength: "1000" }),
  el("button", { type: "submit" }, "Acknowledge"));
  return el("li", { className: "urgent" },
    el("strong", {}, alert.rule), ` · viewer ${alert.viewerId}${alert.officerId ? ` · officer ${alert.officerId}` : ""} · ${dateTime(alert.raisedAt)}`,
    (alert.count ?? 1) > 1 ? ` · ${alert.count} times, last ${dateTime(alert.lastSeenAt)}` : "",
    el("p", {}, alert.explanation),
    form);
}
