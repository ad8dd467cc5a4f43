// Documents in a room: attach from a phone (camera or file picker), the room's Documents list,
// and the card a `document.shared` event becomes. The server forces every download to be an
// attachment; nothing uploaded is ever shown inline here either (the list's thumbnails are small
// JPEGs the server drew from the cleaned pixels, not the uploaded file).

import { api, upload } from "../api.js";
import { formatTime, h, mount } from "../dom.js";
import { ROOM } from "../wire.js";
import { DOCS, roleLabel } from "./labels.js";
import { t } from "../i18n.js";

function newUploadId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `up-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function fileLink(doc) {
  return h("a", { href: doc.url, class: "doc-link", text: doc.name,
    attrs: { download: doc.name, rel: "noopener" } });
}

/** The card for one `document.shared` event. */
export function documentCard(ev, { me, room, caseKind }) {
  const doc = ev.document || {};
  const mine = ev.sender?.id === me?.id;
  const status = h("span", { class: "state", attrs: { role: "status" } });
  const canShare = mine && room.kind === ROOM.PRIVATE && room.writable && !room.closed;
  const share = canShare ? h("button", { type: "button", class: "link", text: DOCS.shareWithOther,
    on: { click: async () => {
      if (!window.confirm(DOCS.confirmShare(doc.name))) return;
      try {
        await api.post(`/api/documents/${doc.id}/share`, { confirm: true });
        mount(status, ` ${DOCS.sharedWithOther}`);
        share.remove();
      } catch (err) {
        mount(status, ` ${err.message}`);
      }
    } } }) : null;
  return h("li", { class: mine ? "msg doc mine" : "msg doc", dataset: { seq: ev.seq,
    document: doc.id } },
    h("span", { class: "meta" },
      h("span", { class: "sender", text: mine ? t("chat.you") : ev.sender?.name || t("chat.someone") }),
      ev.sender && !mine ? ` · ${roleLabel(ev.sender.role, ev.sender.side, caseKind)}` : "",
      " · ", h("time", { dateTime: ev.at, text: formatTime(ev.at) })),
    h("span", { class: "text" }, `${DOCS.shared}: `, fileLink(doc),
      ` (${DOCS.size(doc.size || 0)})`),
    doc.caption ? h("span", { class: "caption", text: doc.caption }) : null,
    share, status);
}

/**
 * The attach controls of a room's composer: take a photo or pick a file. Each file gets its
 * own upload id, kept for "Try again", so a retry after a dropped connection is stored once.
 */
export function attachBar(roomId) {
  const uploads = h("ul", { class: "uploads", attrs: { "aria-live": "polite" } });
  const picker = (label, props) => {
    const input = h("input", { type: "file", class: "visually-hidden", ...props });
    input.addEventListener("change", () => {
      for (const file of input.files) send(file, newUploadId());
      input.value = "";
    });
    return h("label", { class: "button secondary attach" }, label, input);
  };

  async function send(file, uploadId, row = null) {
    const li = row || h("li");
    if (!row) uploads.appendChild(li);
    mount(li, DOCS.uploading(file.name));
    try {
      await upload(`/api/rooms/${roomId}/documents`, file, {
        "X-Upload-Id": uploadId,
        "X-Document-Name": encodeURIComponent(file.name),
      });
      li.remove(); // the room's document.shared event shows it
    } catch (err) {
      mount(li, h("span", { attrs: { role: "alert" }, text: DOCS.failed(file.name, err.message) }),
        " ",
        err.retryable || err.status === 0 || err.status >= 500
          ? h("button", { type: "button", class: "link", text: DOCS.retry,
            on: { click: () => send(file, uploadId, li) } }) : null,
        " ",
        h("button", { type: "button", class: "link", text: DOCS.dismiss,
          on: { click: () => li.remove() } }));
    }
  }

  return h("div", { class: "attach-bar" },
    picker(DOCS.takePhoto, { accept: "image/*", attrs: { capture: "environment" } }),
    picker(DOCS.attachFile, { accept: DOCS.accept, multiple: true }),
    uploads);
}

/** The room's Documents list (loaded when opened), and a party's "my documents" ZIP. */
export function documentsList(room, { party }) {
  const list = h("ul", { class: "documents" });
  const summary = h("summary", { text: DOCS.listClosed });
  // The server says when a party's own ZIP is open to them (mediation ended without agreement).
  const zip = h("p", { class: "my-zip", hidden: true });
  const box = h("details", { class: "documents-box" }, summary, list, zip);
  async function load() {
    mount(list, h("li", { text: DOCS.loading }));
    try {
      const found = await api.get(`/api/rooms/${room.id}/documents`);
      const documents = found.documents;
      summary.textContent = DOCS.listTitle(documents.length);
      mount(list, documents.length ? documents.map((d) => h("li", { dataset: { document: d.id } },
        d.thumbnail_url ? h("img", { class: "doc-thumb", src: d.thumbnail_url, alt: "",
          width: 64, height: 64, attrs: { loading: "lazy" } }) : null,
        fileLink(d), ` · ${DOCS.size(d.size)}`, d.pages ? ` · ${DOCS.pages(d.pages)}` : "", " · ",
        h("time", { dateTime: d.at, text: formatTime(d.at) }),
        d.caption ? h("span", { class: "caption", text: ` ${d.caption}` }) : null))
        : h("li", { text: DOCS.listEmpty }));
      const zipUrl = party ? found.my_documents_zip : null;
      zip.hidden = !zipUrl;
      mount(zip, zipUrl ? [h("a", { href: zipUrl, text: DOCS.myZip, attrs: { download: "" } }),
        h("span", { class: "hint", text: ` ${DOCS.myZipHint}` })] : null);
    } catch (err) {
      mount(list, h("li", { attrs: { role: "alert" }, text: err.message }));
    }
  }
  box.addEventListener("toggle", () => {
    if (box.open) load();
  });
  return { element: box, refresh: () => (box.open ? load() : null) };
}
