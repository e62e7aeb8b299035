// Grants: requests waiting for a supervisor, and every active grant with who, why and until when.
// A supervisor or compliance officer revokes a grant with a reason; its viewers are cut off at once.
import { api, el, polled, refill, say, time } from "./api.js";

let me;

export function init(person) {
  me = person;
}

export const { shown, hidden, refresh } = polled(3000, load);

async function load() {
  if (me.role === "supervisor") {
    const pending = await api("/api/authorisation/view-requests?state=pending");
    refill(document.getElementById("pending-list"), pending.length ? pending.map(pendingCard) : [el("li", {}, "Nothing waits for approval.")]);
  }
  const grants = await api("/api/authorisation/grants?active=true");
  refill(document.getElementById("grant-rows"), grants.length
    ? grants.map(row)
    : [el("tr", {}, el("td", { colspan: "7" }, "No active grants."))]);
}

function pendingCard(request) {
  const noteId = `decide-${request.grantId}`;
  const decide = (verb) => async () => {
    const note = document.getElementById(noteId).value.trim();
    await api(`/api/authorisation/view-requests/${encodeURIComponent(request.grantId)}/${verb}`, { method: "POST", body: { note } })
      .then(() => say(`Request ${verb === "approve" ? "approved" : "refused"}.`), (e) => say(e.message));
    refresh();
  };
  return el("li", {},
    el("strong", {}, `${request.viewerId} (${request.viewerRole}) asks to watch ${request.officerId || request.cameraId}`),
    el("p", {}, `${request.purpose}: ${request.reason}${request.incidentRef ? ` · ${request.incidentRef}` : ""}`),
    el("div", { className: "inline" },
      el("label", { for: noteId }, "Note"), el("input", { id: noteId, maxlength: "500" }),
      el("button", { type: "button", className: "primary", onclick: decide("approve") }, "Approve"),
      el("button", { type: "button", onclick: decide("refuse") }, "Refuse")));
}

function row(grant) {
  const reasonId = `revoke-${grant.grantId}`;
  const canRevoke = ["supervisor", "compliance"].includes(me.role) || grant.viewerId === me.id;
  return el("tr", { "data-grant": grant.grantId },
    el("td", {}, `${grant.viewerId} (${grant.viewerRole})`),
    el("td", {}, `${grant.officerId || "-"} · ${grant.cameraId}`),
    el("td", {}, grant.purpose),
    el("td", {}, grant.reason),
    el("td", {}, grant.incidentRef || "-"),
    el("td", {}, time(grant.expiresAt)),
    el("td", {}, canRevoke
      ? el("form", {
        className: "inline",
        onsubmit: async (e) => {
          e.preventDefault();
          const reason = document.getElementById(reasonId).value.trim();
          await api(`/api/authorisation/grants/${encodeURIComponent(grant.grantId)}/revoke`, { method: "POST", body: { reason } })
            .then(() => say("Grant revoked; its viewers are cut off."), (err) => say(err.message));
          refresh();
        },
      },
      el("label", { for: reasonId, className: "visually-hidden" }, `Reason to revoke ${grant.grantId}`),
      el("input", { id: reasonId, required: true, maxlength: "500", placeholder: "Reason to revoke" }),
      el("button", { type: "submit" }, "Revoke"))
      : ""));
}
