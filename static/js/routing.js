// Routing: which view shows (Conversations or Emails) and what is open in it, kept in the
// address bar as ?c=<conversation id>, or ?view=emails (and &t=<email thread id>), so that
// Back, Forward, reloads and links all land where they should. Clicks on the lists' links, the
// back buttons and the view buttons come here, since each of them moves in the history.

import { closeThread, openThread, openThreadId, openThreadName } from "./email-thread.js";
import { emailList, showEmails } from "./emails.js";
import { conversationList, upsertConversation } from "./list.js";
import { byId, root } from "./page.js";
import { state } from "./state.js";
import { conversationName } from "./thread-header.js";
import { closeConversation, openConversation, showThreadPane } from "./thread.js";
import { setTitle } from "./title.js";

const ui = {
  sectionButtons: [...document.querySelectorAll("button[data-section]")],
  conversationsHeading: byId("conversations-heading"),
  emailsHeading: byId("emails-heading"),
  backButton: byId("back-button"),
  emailBackButton: byId("email-back-button"),
};

function currentUrl() {
  const params = new URLSearchParams(window.location.search);
  return {
    section: params.get("view") === "emails" ? "emails" : "conversations",
    conversation: params.get("c"),
    emailThread: params.get("t"),
  };
}

// Opened from a link (or just started): Back returns to the list.
export function goToConversation(id) {
  history.pushState({ conversationId: id, fromList: true }, "", `?c=${encodeURIComponent(id)}`);
  if (state.section !== "conversations") {
    showSection("conversations");
  }
  return openConversation(id);
}

export function goToEmailThread(id) {
  const url = `?view=emails&t=${encodeURIComponent(id)}`;
  history.pushState({ threadId: id, fromList: true }, "", url);
  if (state.section !== "emails") {
    showSection("emails");
  }
  return openThread(id);
}

export function showSection(section, { focus = false } = {}) {
  state.section = section;
  root.dataset.section = section;
  // The tab names what is open in the view shown.
  setTitle({ name: section === "emails" ? openThreadName() : conversationName() });
  for (const button of ui.sectionButtons) {
    if (button.dataset.section === section) {
      button.setAttribute("aria-current", "page");
    } else {
      button.removeAttribute("aria-current");
    }
  }
  if (section === "emails") {
    showEmails();
    if (focus) {
      ui.emailsHeading.focus();
    }
  } else {
    if (state.conversation) {
      upsertConversation(state.conversation); // now being read
    }
    if (focus) {
      ui.conversationsHeading.focus();
    }
  }
}

function navigateTo(section) {
  if (section === state.section) {
    return;
  }
  if (section === "emails") {
    const id = openThreadId();
    history.pushState({}, "", id ? `?view=emails&t=${encodeURIComponent(id)}` : "?view=emails");
  } else {
    const id = state.selectedId;
    history.pushState({}, "", id ? `?c=${encodeURIComponent(id)}` : window.location.pathname);
  }
  showSection(section, { focus: true });
}

export function followUrl() {
  const target = currentUrl();
  showSection(target.section);
  if (target.section === "emails") {
    if (!target.emailThread) {
      closeThread();
    } else if (target.emailThread !== openThreadId()) {
      openThread(target.emailThread);
    }
    return;
  }
  if (!target.conversation) {
    closeConversation();
  } else if (target.conversation !== state.selectedId) {
    openConversation(target.conversation);
  } else {
    showThreadPane();
  }
}

// A click with a modifier, or another button, opens a new tab or window at the link's own
// address; the page leaves it to the browser.
function plainClick(event) {
  return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey;
}

export function setupRouting() {
  conversationList.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-conversation-id]");
    if (!link || !plainClick(event)) {
      return;
    }
    event.preventDefault();
    if (link.dataset.conversationId !== state.selectedId) {
      goToConversation(link.dataset.conversationId);
    } else {
      showThreadPane();
    }
  });
  emailList.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-thread-id]");
    if (!link || !plainClick(event)) {
      return;
    }
    event.preventDefault();
    goToEmailThread(link.dataset.threadId);
  });
  ui.backButton.addEventListener("click", () => {
    if (history.state?.fromList) {
      history.back(); // popstate closes the thread
    } else {
      history.pushState({}, "", window.location.pathname);
      closeConversation();
    }
  });
  ui.emailBackButton.addEventListener("click", () => {
    if (history.state?.fromList) {
      history.back();
    } else {
      history.pushState({}, "", "?view=emails");
      closeThread();
    }
  });
  for (const button of ui.sectionButtons) {
    button.addEventListener("click", () => navigateTo(button.dataset.section));
  }
  window.addEventListener("popstate", followUrl);
}
