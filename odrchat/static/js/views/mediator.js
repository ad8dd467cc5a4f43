// The mediator's dashboard: every live room of every case in one view, unread counts, rooms
// where a party is waiting for an answer highlighted. Switching rooms swaps the panel only:
// all rooms stay subscribed on the one socket.

import { h, mount } from "../dom.js";
import { S } from "../wire.js";
import { chatPanel } from "./chat.js";
import { kindLabel, listOf, roleLabel } from "./labels.js";
import { api } from "../api.js";

/** True when the newest chat message in the room came from a party or an attorney. */
export function partyWaiting(room) {
  let last = null;
  for (const ev of room.events.values()) {
    if (ev.type === S.MESSAGE && (!last || ev.seq > last.seq)) last = ev;
  }
  return Boolean(last && ["party", "attorney"].includes(last.sender?.role));
}

function label(room) {
  if (room.kind === "joint") return "Joint";
  if (room.kind === "mediators") return "Mediators only";
  return room.title || `${roleLabel("party", room.side, "small_claims")} + Mediator`;
}

export async function dashboard(main, [roomParam], ctx) {
  ctx.setTitle("Dashboard");
  const connection = ctx.connection;
  const names = new Map();
  const kinds = new Map();
  let loading = null;
  // Case names come from the case list; a case assigned while the page is open (its rooms
  // arrive with rooms.changed) is looked up again, once.
  const loadNames = async () => {
    try {
      for (const c of listOf(await api.get("/api/cases"), "cases")) {
        kinds.set(c.id, c.kind);
        names.set(c.id, `${kindLabel(c.kind)}${c.court_case_number ? ` ${c.court_case_number}` : ` #${c.id}`}`);
      }
    } catch {
      // The rooms still work without the case names.
    }
  };
  const lookUp = (caseId) => {
    if (names.has(caseId) || loading || caseId === null) return;
    loading = loadNames().finally(() => {
      loading = null;
      if (!names.has(caseId)) names.set(caseId, `Case ${caseId}`);
      render();
    });
  };
  await loadNames();
  const caseName = (id) => names.get(id) || `Case ${id}`;
  const nav = h("nav", { attrs: { "aria-label": "Rooms" } });
  const host = h("div", { class: "dash-panel" });
  mount(main, h("h1", { text: "All conversations" }),
    h("div", { class: "dash" }, nav, host));
  let selected = roomParam ? Number(roomParam) : null;
  let stopPanel = null;
  let shown = null;

  const select = (id) => {
    selected = id;
    history.replaceState(null, "", `#/mediator/${id}`);
    render();
    host.querySelector("textarea")?.focus();
  };

  const render = () => {
    const rooms = [...connection.rooms.values()].filter((r) => !r.closed);
    const byCase = new Map();
    for (const r of rooms) {
      lookUp(r.caseId);
      if (!byCase.has(r.caseId)) byCase.set(r.caseId, []);
      byCase.get(r.caseId).push(r);
    }
    if (!rooms.length) {
      mount(nav, h("p", { text: connection.status === "online"
        ? "No live conversations. Cases appear here once you are assigned."
        : "Connecting…" }));
    } else {
      mount(nav, [...byCase.entries()].sort((a, b) => b[0] - a[0]).map(([caseId, list]) =>
        h("section", {}, h("h2", {}, h("a", { class: "title", href: `#/cases/${caseId}`, text: caseName(caseId) })),
          h("ul", { class: "room-list" }, list.sort((a, b) => a.id - b.id).map((r) => {
            const waiting = partyWaiting(r);
            return h("li", { class: waiting ? "party-waiting" : "", dataset: { room: r.id } },
              h("button", { type: "button",
                attrs: { "aria-current": r.id === selected ? "true" : null },
                on: { click: () => select(r.id) } },
                h("span", { text: label(r) + (waiting ? " · a party is waiting" : "") }),
                h("span", { class: "badge", text: r.unread ? String(r.unread) : "",
                  attrs: { "aria-label": r.unread ? `${r.unread} unread` : null } })));
          })))));
    }
    if (selected && connection.rooms.has(selected) && shown !== selected) {
      if (stopPanel) stopPanel();
      shown = selected;
      const room = connection.rooms.get(selected);
      stopPanel = chatPanel(host, connection, selected, {
        label: `${caseName(room.caseId)}: ${label(room)}`, announce: ctx.announce,
        caseKind: kinds.get(room.caseId),
      });
    } else if (!selected) {
      mount(host, h("p", { class: "notice", text: "Choose a conversation." }));
    }
  };
  connection.addEventListener("rooms", render);
  connection.addEventListener("room", render);
  render();
  return () => {
    if (stopPanel) stopPanel();
    connection.removeEventListener("rooms", render);
    connection.removeEventListener("room", render);
  };
}
