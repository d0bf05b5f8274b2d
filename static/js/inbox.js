// The inbox page's entry point (the template loads it as <script type="module">). Each
// part of the screen is a module of its own; this one wires them up in order and starts
// the page:
//
//   list.js           the conversation list, search and filters (render-list.js draws it)
//   search.js         what the search box finds as you type, grouped, in a list under it
//                     (search-render.js draws it; search-open.js opens a result)
//   thread.js         the open conversation's messages (render-thread.js draws them),
//                     with thread-header.js, composer.js (the reply box) and replies.js
//   new-message.js    the new-conversation dialog
//   compose-email.js  the compose-email dialog
//   contact-panel.js  the contact beside the thread (render-contact.js draws it), with
//                     contact-merge.js (the merge dialog)
//   contacts-import.js the dialog that loads contacts from a CSV file
//   emails.js         the Emails view's thread list, and email-thread.js the open thread
//                     (render-email.js draws both; email-frame.js shows HTML safely)
//   routing.js        which view and what is open, in the address bar
//   schedule-picker.js the composers' Schedule control (schedule.js: times), and
//                     scheduled-edits.js Edit and Cancel on what waits to be sent
//                     (render-schedule.js draws it)
//   live-events.js    live updates over live.js's websocket
//
// The team's part (issue 13): list-filters.js (Open, Snoozed, Closed, All, Mine, Unassigned,
// a label), team-state.js (close, snooze, assign and label the open conversation, with
// menu.js), notes.js (internal notes, with mentions.js), activity.js (who did what, among
// the messages through thread-extras.js; render-team.js draws both), saved-replies.js,
// unread.js (each person's own unread counts), keyboard.js (shortcuts) and
// notifications.js (desktop notifications); team-data.js holds who is signed in and the
// team's teammates and labels.
//
// They share state.js (the state, and how records merge into it), page.js, paging.js,
// render.js, forms.js, api.js, attachments.js and segments.js, and none of them depends on
// this module. The contact panel and dialogs reach the rest of the screen only through the
// hooks given to them here.

// Static imports end with ";" so that collectstatic can give them hashed names
// (ManifestStaticFilesStorage.support_js_module_import_aggregation). Its pattern also
// starts at that keyword inside a comment, then leaves the whole match alone: no module's
// comments use the keyword as a word, or the statement after it keeps its unhashed name.
import { setupActivity } from "./activity.js";
import { getJSON } from "./api.js";
import { setupComposer } from "./composer.js";
import { setupContactMerge } from "./contact-merge.js";
import { currentContact, reloadContact, setupContactPanel } from "./contact-panel.js";
import { setupContactsImport } from "./contacts-import.js";
import { composeFrom, setupComposeEmail } from "./compose-email.js";
import { isReadingThread, setupEmailThread } from "./email-thread.js";
import { loadThreads, setupEmails, threadById, upsertThread } from "./emails.js";
import { setupKeyboard } from "./keyboard.js";
import {
  loadConversations,
  refreshConversation,
  renameContact,
  setupList,
  upsertConversation,
} from "./list.js";
import { setupListFilters } from "./list-filters.js";
import { startLiveUpdates } from "./live-events.js";
import { setupNewMessage, updateNewConversationCounter } from "./new-message.js";
import { setupNotes } from "./notes.js";
import { setupNotifications } from "./notifications.js";
import { root, urls } from "./page.js";
import { setupReplies } from "./replies.js";
import { followUrl, goToConversation, goToEmailThread, setupRouting } from "./routing.js";
import { setupSavedReplies } from "./saved-replies.js";
import { setupSearchBox } from "./search.js";
import { state } from "./state.js";
import { setupTeamState } from "./team-state.js";
import { setupThread } from "./thread.js";
import { setupUnread } from "./unread.js";

setupEmails({ isReading: isReadingThread });
setupEmailThread({ compose: composeFrom });
setupList();
setupThread();
setupRouting();
setupReplies();
setupComposer();
setupNewMessage();
// A new email starts a thread, a reply moves one up: the list's first page again.
setupComposeEmail({ onSent: () => loadThreads({ refresh: true }) });
setupContactPanel({
  onContactChanged: renameContact,
  onOpenItem: ({ channel, id }) =>
    channel === "email" ? goToEmailThread(id) : goToConversation(id),
});
setupContactMerge({
  currentContact,
  onMerged: (contact) => {
    reloadContact(contact);
    renameContact(contact);
    // The other contact's conversations now name this one.
    loadConversations({ refresh: true });
  },
});
setupContactsImport({ onImported: () => loadConversations({ refresh: true }) });

// The team's part. A record with conversation_id is an SMS or internal conversation; one
// with id alone an email thread.
const opens = { openConversation: goToConversation, openEmailThread: goToEmailThread };
setupListFilters({ onChange: () => loadConversations() });
setupTeamState({
  onChanged: (kind, record) =>
    kind === "email" ? upsertThread(record) : upsertConversation(record),
});
setupUnread({
  onRead: (id) => {
    const conversation =
      state.conversations.find((item) => item.conversation_id === id) ??
      (state.conversation?.conversation_id === id ? state.conversation : null);
    if (conversation) {
      upsertConversation(conversation);
    }
    const thread = threadById(id);
    if (thread) {
      upsertThread(thread);
    }
  },
  askServer: (record) => {
    if (record.conversation_id) {
      refreshConversation(record.conversation_id);
    } else {
      // The thread's summary: its emails are the open thread's business.
      getJSON(urls.emailThread(record.id)).then(
        ({ emails, ...thread }) => upsertThread(thread),
        () => {},
      );
    }
  },
});
setupNotes();
setupActivity();
setupSavedReplies();
setupKeyboard(opens);
setupSearchBox(opens);
setupNotifications(opens);

updateNewConversationCounter();
loadConversations();
followUrl();
startLiveUpdates();
// Every control works from here on (the page's controls are inert until this module runs).
root.dataset.ready = "true";
