// Transparency: a compliance officer previews a month's public report and publishes it. The figures
// shown are the server's; the console only lays them out.
import { api, el, say, dateTime } from "./api.js";

let wired = false;

export function shown() {
  const month = document.getElementById("transparency-month");
  if (!wired) {
    wired = true;
    const now = new Date();
    const last = new Date(now.getFullYear(), now.getMonth() - 1, 1);
    month.value = `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, "0")}`;
    month.max = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
    document.getElementById("transparency-form").addEventListener("submit", (e) => {
      e.preventDefault();
      compute("preview");
    });
    document.getElementById("transparency-publish").addEventListener("click", () => {
      if (document.getElementById("transparency-form").reportValidity()) compute("publish");
    });
  }
}

async function compute(action) {
  const period = document.getElementById("transparency-month").value;
  const status = document.getElementById("transparency-status");
  try {
    const report = action === "publish"
      ? await api(`/api/audit/transparency/${encodeURIComponent(period)}/publish`, { method: "POST" })
      : await api(`/api/audit/transparency/${encodeURIComponent(period)}/preview`);
    show(report);
    status.textContent = `${action === "publish" ? "Published" : "Preview of"} ${period}${report.periodComplete ? "" : " (the month so far)"}, computed ${dateTime(report.computedAt)} at audit entry ${report.checkpoint?.seq ?? 0}.`;
    if (action === "publish") say(`The report for ${period} is published.`);
  } catch (e) {
    status.textContent = "";
    say(e.message);
  }
}

function show(report) {
  const labels = Object.fromEntries(report.measures.map((m) => [m.measure, m.label]));
  const rows = report.figures
    .filter((f) => f.scope === "force" && !f.week && !f.breakdown)
    .map((f) => el("tr", {}, el("th", { scope: "row" }, labels[f.measure] ?? f.measure), el("td", {}, f.display)));
  document.getElementById("transparency-rows").replaceChildren(...rows);
}
