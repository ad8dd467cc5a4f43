// The mediator's dashboard: every live room of every case in one view, unread counts, rooms
// where a party is waiting for an answer highlighted. Switching rooms swaps the panel only:
// all rooms stay subscribed on the one socket. Offers in a joint room are drawn as on the case
// page (terms and status in the reader's language), never as a bare "An offer was made.".

import { h, mount } from "../dom.js";
import { ROOM, S } from "../wire.js";
import { chatPanel, roomLabel } from "./chat.js";
import { kindLabel, listOf } from "./labels.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { safetyChip } from "./safety.js";
import { OfferDesk } from "./offers.js";

/** True when the newest chat message in the room came from a party or an attorney. */
export function partyWaiting(room) {
  let last = null;
  for (const ev of room.events.values()) {
    if (ev.type === S.MESSAGE && (!last || ev.seq > last.seq)) last = ev;
  }
  return Boolean(last && ["party", "attorney"].includes(last.sender?.role));
}

export async function dashboard(main, [roomParam], ctx) {
  ctx.setTitle(t("nav.dashboard"));
  const connection = ctx.connection;
  // Room names in the reader's language, as a mediator sees them ("<party> + Mediator").
  const label = (room) => roomLabel(room, connection.user, "mediator", kinds.get(room.caseId));
  const names = new Map();
  const kinds = new Map();
  const flagged = new Set(); // cases whose safety screening asks for care
  let loading = null;
  // Case names come from the case list; a case assigned while the page is open (its rooms
  // arrive with rooms.changed) is looked up again, once.
  const loadNames = async () => {
    try {
      for (const c of listOf(await api.get("/api/cases"), "cases")) {
        kinds.set(c.id, c.kind);
        if (c.safety_flag || c.help_open) flagged.add(c.id);
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
      if (!names.has(caseId)) names.set(caseId, t("mediator.case", { id: String(caseId) }));
      render();
    });
  };
  await loadNames();
  // Each participant's language, from the case (mediators see it; chat is never translated).
  // The case as the mediator sees it, fetched once per case.
  const details = new Map();
  const detailOf = (caseId) => {
    if (!details.has(caseId)) {
      const loaded = api.get(`/api/cases/${caseId}`);
      loaded.catch(() => details.delete(caseId)); // asked again next time
      details.set(caseId, loaded);
    }
    return details.get(caseId);
  };
  const languagesOf = (caseId) => detailOf(caseId).then((d) => new Map(
    (d.participants || []).map((p) => [p.user_id, p.language])));
  const caseName = (id) => names.get(id) || t("mediator.case", { id: String(id) });
  const nav = h("nav", { attrs: { "aria-label": t("mediator.rooms") } });
  const host = h("div", { class: "dash-panel" });
  mount(main, h("h1", { text: t("mediator.title") }),
    h("div", { class: "dash" }, nav, host));
  let selected = roomParam ? Number(roomParam) : null;
  let stopPanel = null;
  let shown = null;
  let closed = false;
  let desk = null; // the offer cards of the joint room shown, if it is one
  let lastCaucus = null;
  let focusComposer = false; // a room chosen from the list: its composer takes the focus

  const select = (id) => {
    selected = id;
    history.replaceState(null, "", `#/mediator/${id}`);
    focusComposer = id !== shown;
    render();
    if (!focusComposer) host.querySelector("textarea")?.focus();
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
        ? t("mediator.none") : t("conn.connecting") }));
    } else {
      mount(nav, [...byCase.entries()].sort((a, b) => b[0] - a[0]).map(([caseId, list]) =>
        h("section", {}, h("h2", {}, h("a", { class: "title", href: `#/cases/${caseId}`, text: caseName(caseId) }),
          flagged.has(caseId) ? [" ", safetyChip({ safety_flag: true })] : null),
          h("ul", { class: "room-list" }, list.sort((a, b) => a.id - b.id).map((r) => {
            const waiting = partyWaiting(r);
            return h("li", { class: waiting ? "party-waiting" : "", dataset: { room: r.id } },
              h("button", { type: "button",
                attrs: { "aria-current": r.id === selected ? "true" : null },
                on: { click: () => select(r.id) } },
                h("span", { text: label(r) + (waiting ? t("mediator.waiting") : "") }),
                h("span", { class: "badge", text: r.unread ? String(r.unread) : "",
                  attrs: { "aria-label": r.unread ? t("cases.unread", { count: r.unread }) : null } })));
          })))));
    }
    if (selected && connection.rooms.has(selected) && shown !== selected) {
      if (stopPanel) stopPanel();
      stopPanel = null;
      shown = selected;
      const room = connection.rooms.get(selected);
      desk = null;
      const open = (offers) => {
        if (closed || shown !== room.id) return;
        desk = offers;
        lastCaucus = desk ? desk.caucus : null;
        stopPanel = chatPanel(host, connection, room.id, {
          label: t("mediator.panelLabel", { case: caseName(room.caseId), room: label(room) }), announce: ctx.announce,
          caseKind: kinds.get(room.caseId), languageOf: languagesOf(room.caseId),
          renderEvent: offers ? (ev) => offers.render(ev) : null,
        });
        if (focusComposer) host.querySelector("textarea")?.focus();
        focusComposer = false;
      };
      if (room.kind === ROOM.JOINT) {
        // Offer cards need the case (its kind, status and the reader's role in it).
        mount(host, h("p", { text: t("mediator.opening") }));
        detailOf(room.caseId).then(
          (d) => open(new OfferDesk(d, connection.user, { announce: ctx.announce, navigate: ctx.navigate, connection })),
          () => open(null));
      } else {
        open(null);
      }
    } else if (!selected) {
      mount(host, h("p", { class: "notice", text: t("mediator.choose") }));
    }
  };
  // Caucus mode on or off: the offer cards' relay actions follow it (as on the case page).
  const onRoom = (ev) => {
    const room = ev.detail?.room;
    if (!desk || !room || room.id !== shown || room.kind !== ROOM.JOINT) return;
    const caucus = Boolean(room.control?.caucus);
    if (caucus !== lastCaucus) {
      lastCaucus = caucus;
      desk.refresh();
    }
  };
  connection.addEventListener("rooms", render);
  connection.addEventListener("room", render);
  connection.addEventListener("room", onRoom);
  render();
  return () => {
    closed = true;
    if (stopPanel) stopPanel();
    connection.removeEventListener("rooms", render);
    connection.removeEventListener("room", render);
    connection.removeEventListener("room", onRoom);
  };
}
