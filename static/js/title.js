// The tab's title: "Hatch", the open conversation's name before it ("Ada Lovelace · Hatch")
// and the person's unread count before that ("(3) Ada Lovelace · Hatch"), so that a tab in
// the background still says what is open and whether anything waits.
//
// Several parts of the page own a piece of it (the thread its name, the list the count):
// each sets only its own piece, and the others' pieces stay as they were.

const parts = { unread: 0, name: "" };

// setTitle({name}) or setTitle({unread}) or both; a piece left out keeps its value.
export function setTitle(pieces = {}) {
  if ("unread" in pieces) {
    parts.unread = Math.max(0, Number(pieces.unread) || 0);
  }
  if ("name" in pieces) {
    parts.name = (pieces.name ?? "").trim();
  }
  const count = parts.unread > 0 ? `(${parts.unread}) ` : "";
  const name = parts.name ? `${parts.name} · ` : "";
  document.title = `${count}${name}Hatch`;
}
