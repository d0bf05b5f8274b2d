// Keyboard shortcuts for the lists: j and k open the next and previous conversation (or
// email thread), e closes the open one, a assigns it to me, / goes to the search, and ?
// shows them all in a dialog. They never fire while the person is typing (a field, a
// textarea, a menu or a dialog has the keys then), nor with Ctrl, Alt or Cmd held.

import { setupDialog } from "./forms.js";
import { byId, root } from "./page.js";
import { assignOpenRecordToMe, closeOpenRecord } from "./team-state.js";

const ui = {
  help: byId("shortcuts-dialog"),
  helpButton: byId("shortcuts-button"),
  conversationSearch: byId("search-input"),
  emailSearch: byId("emails-search-input"),
};

const hooks = { openConversation: () => {}, openEmailThread: () => {} };
// Where j and k were when the open item left the list (closed while the Open list shows):
// the next one is then at the same place.
const lastIndex = { conversations: 0, emails: 0 };

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable ||
      target.closest("input, textarea, select, [role=menu], [role=listbox], dialog") !== null)
  );
}

function rows() {
  const emails = root.dataset.section === "emails";
  const selector = emails
    ? "#email-list a[data-thread-id]"
    : "#conversation-list a[data-conversation-id]";
  return { emails, links: [...document.querySelectorAll(selector)] };
}

function move(step) {
  const { emails, links } = rows();
  if (!links.length) {
    return;
  }
  const section = emails ? "emails" : "conversations";
  const current = links.findIndex((link) => link.getAttribute("aria-current") === "true");
  let index;
  if (current >= 0) {
    index = current + step;
  } else {
    // Nothing selected here (or it left the list): j takes the one now at its place.
    index = step > 0 ? lastIndex[section] : lastIndex[section] - 1;
  }
  index = Math.max(0, Math.min(links.length - 1, index));
  lastIndex[section] = index;
  const link = links[index];
  link.scrollIntoView({ block: "nearest" });
  if (emails) {
    hooks.openEmailThread(link.dataset.threadId);
  } else {
    hooks.openConversation(link.dataset.conversationId);
  }
}

function focusSearch() {
  const search = root.dataset.section === "emails" ? ui.emailSearch : ui.conversationSearch;
  search.focus();
  search.select();
}

const SHORTCUTS = {
  j: () => move(1),
  k: () => move(-1),
  e: closeOpenRecord,
  a: assignOpenRecordToMe,
  "/": focusSearch,
  "?": () => ui.help.showModal(),
};

function onKeydown(event) {
  if (
    event.defaultPrevented ||
    event.ctrlKey ||
    event.metaKey ||
    event.altKey ||
    event.isComposing ||
    typing(event.target) ||
    document.querySelector("dialog[open]")
  ) {
    return;
  }
  const shortcut = SHORTCUTS[event.key];
  if (shortcut) {
    event.preventDefault();
    shortcut();
  }
}

// hooks.openConversation(id), hooks.openEmailThread(id): open it as a click would.
export function setupKeyboard(given) {
  Object.assign(hooks, given);
  document.addEventListener("keydown", onKeydown);
  if (ui.help) {
    setupDialog(ui.help);
    ui.helpButton?.addEventListener("click", () => ui.help.showModal());
  }
}
