// The console's shell: sign-in (authorization code + PKCE through oidc-client-ts), the screens a
// role may use, and deep links (#watch=CAMERA&incident=REF) that survive the sign-in round trip.
import { useToken, say } from "./api.js";
import * as mapScreen from "./map.js";
import * as live from "./live.js";
import * as alerts from "./alerts.js";
import * as grants from "./grants.js";
import * as replay from "./replay.js";
import * as wearer from "./wearer.js";
import * as transparency from "./transparency.js";

const screens = { map: mapScreen, live, alerts, grants, replay, wearer, transparency };
const base = `${location.origin}/console/`;
const users = new oidc.UserManager({
  authority: `${location.origin}/`,
  client_id: "bodycam-console",
  redirect_uri: base,
  response_type: "code",
  scope: "openid profile roles",
  loadUserInfo: false,
  automaticSilentRenew: false,
  userStore: new oidc.WebStorageStateStore({ store: sessionStorage }),
});

let me = null;
let shown = null;

async function start() {
  document.getElementById("sign-in").addEventListener("click", () =>
    users.signinRedirect({ state: { hash: location.hash } }));
  document.getElementById("sign-out").addEventListener("click", () => signOut("You are signed out."));

  const message = sessionStorage.getItem("bodycam.message");
  if (message) {
    sessionStorage.removeItem("bodycam.message");
    say(message);
  }

  const query = new URLSearchParams(location.search);
  let user;
  if (query.has("code") || query.has("error")) {
    try {
      user = await users.signinRedirectCallback();
    } catch (e) {
      say(`Sign-in failed: ${e.message}`);
    }
    history.replaceState(null, "", base + (user?.state?.hash || ""));
  } else {
    user = await users.getUser();
  }
  if (!user || user.expired) {
    showSignIn();
    return;
  }

  me = {
    id: user.profile.sub,
    name: user.profile.name || user.profile.sub,
    role: [].concat(user.profile.role || [])[0] || "",
    command: user.profile.command || null,
    officerId: user.profile.officer_id || null,
  };
  useToken(user.access_token, signOut);
  setTimeout(() => signOut("Your session has ended. Sign in again."), Math.max(0, user.expires_in * 1000));

  document.getElementById("who").textContent = `${me.name} (${me.role}${me.command ? `, command ${me.command}` : ""})`;
  document.getElementById("sign-out").hidden = false;
  const nav = document.getElementById("nav");
  nav.hidden = false;
  for (const node of document.querySelectorAll("[data-roles]")) {
    node.hidden = !node.dataset.roles.split(" ").includes(me.role);
  }
  for (const button of nav.querySelectorAll("button")) {
    button.addEventListener("click", () => show(button.dataset.screen));
  }
  for (const screen of Object.values(screens)) screen.init?.(me, { show });
  alerts.watchBadge?.(me);

  const link = new URLSearchParams(location.hash.slice(1));
  const first = nav.querySelector("button:not([hidden])")?.dataset.screen;
  if (!first) {
    say("Your role has no screens in this console.");
    return;
  }
  show(first);
  if (link.get("watch")) {
    history.replaceState(null, "", base);
    live.ask({ cameraId: link.get("watch"), label: `camera ${link.get("watch")}`, incidentRef: link.get("incident") || "" });
  }
}

export function show(name) {
  if (shown === name) return;
  for (const [key, screen] of Object.entries(screens)) {
    const section = document.getElementById(`screen-${key}`);
    const on = key === name;
    section.hidden = !on;
    document.querySelector(`#nav button[data-screen="${key}"]`)?.toggleAttribute("aria-current", on);
    if (on) document.querySelector(`#nav button[data-screen="${key}"]`)?.setAttribute("aria-current", "page");
    if (on) screen.shown?.(); else if (shown === key) screen.hidden?.();
  }
  document.getElementById("screen-signin").hidden = true;
  shown = name;
}

function showSignIn() {
  document.getElementById("screen-signin").hidden = false;
}

async function signOut(message) {
  await users.removeUser();
  sessionStorage.setItem("bodycam.message", message);
  location.replace(base);
}

start().catch((e) => say(e.message));
