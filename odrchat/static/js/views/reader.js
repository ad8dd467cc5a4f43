// CCR administration's read-only room reader. Administrators take part in no case, so their
// hello lists no rooms: the case's rooms come from its transcript, and each room is subscribed
// by id while it is on screen. The server records every such view in the audit log; the page
// says so before anything is shown.

import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { chatPanel } from "./chat.js";
import { kindLabel } from "./labels.js";
import { tabList } from "./case.js";
import { t } from "../i18n.js";

export async function page(main, [caseParam, roomParam], ctx) {
  const caseId = Number(caseParam);
  const connection = ctx.connection;
  ctx.setTitle(t("reader.tab", { id: String(caseId) }));
  const [detail, transcript] = await Promise.all([
    api.get(`/api/cases/${caseId}`).catch(() => null),
    api.get(`/api/cases/${caseId}/transcript`),
  ]);
  const rooms = transcript.rooms || [];
  const name = detail ? `${kindLabel(detail.kind)} ${detail.court_case_number || `#${caseId}`}`
    : t("mediator.case", { id: String(caseId) });
  // Room names in the reader's language; a private room's server title is "<name> + Mediator".
  const roomName = (x) => (x.kind === "joint" ? t("chat.room.joint") : x.kind === "mediators"
    ? t("chat.room.mediators") : x.kind === "private" && x.title
      ? t("chat.room.private", { name: x.title.replace(/ \+ Mediator$/, "") }) : x.title || x.kind);
  // The id the room tabs' aria-controls names (tabList: panel-<className>).
  const host = h("div", { id: "panel-subtabs", attrs: { role: "tabpanel" } });
  const tabsHost = h("div");
  mount(main, h("h1", { text: t("reader.title", { name }) }),
    h("p", { class: "notice warn", attrs: { role: "note" },
      text: t("reader.notice") }),
    h("p", {}, h("a", { href: `#/cases/${caseId}`, text: t("reader.details") }), " · ",
      h("a", { href: `/api/cases/${caseId}/transcript.html`, text: t("reader.transcript") })),
    tabsHost, host);
  if (!rooms.length) {
    mount(host, h("p", { class: "notice", text: t("reader.noRooms") }));
    return null;
  }
  let shown = null;
  let stop = null;
  const open = (roomId) => {
    if (stop) stop();
    if (shown !== null && shown !== roomId) connection.unwatch(shown);
    shown = roomId;
    const r = rooms.find((x) => x.room === roomId);
    history.replaceState(null, "", `#/admin/read/${caseId}/${roomId}`);
    mount(tabsHost, tabList(rooms.map((x) => [String(x.room), roomName(x)]), String(roomId),
      (key) => open(Number(key)), { label: t("mediator.rooms"), className: "subtabs" }));
    host.setAttribute("aria-labelledby", `tab-${roomId}`);
    connection.watch(roomId);
    stop = chatPanel(host, connection, roomId, { label: roomName(r), announce: ctx.announce,
      caseKind: detail?.kind });
  };
  const wanted = rooms.find((x) => String(x.room) === String(roomParam)) || rooms[0];
  open(wanted.room);
  return () => {
    if (stop) stop();
    if (shown !== null) connection.unwatch(shown);
  };
}
