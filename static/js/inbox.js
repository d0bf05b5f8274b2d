// The inbox page's entry point (the template loads it as <script type="module">). Each
// part of the screen is a module of its own; this one wires them up in order and starts
// the page:
//
//   list.js           the conversation list, search and filters (render-list.js draws it)
//   thread.js         the open conversation's messages (render-thread.js draws them),
//                     with thread-header.js, composer.js (the reply box) and replies.js
//   new-message.js    the new-conversation dialog
//   compose-email.js  the compose-email dialog
//   emails.js         the Emails view (render-email.js draws it)
//   routing.js        which view and what is open, in the address bar
//   live-events.js    live updates over live.js's websocket
//
// They share state.js (the state, and how records merge into it), page.js, paging.js,
// render.js, forms.js, api.js and segments.js, and none of them depends on this module.

// Static imports end with ";" so that collectstatic can give them hashed names
// (ManifestStaticFilesStorage.support_js_module_import_aggregation). Its pattern also
// starts at that keyword inside a comment, then leaves the whole match alone: no module's
// comments use the keyword as a word, or the statement after it keeps its unhashed name.
import { setupComposeEmail } from "./compose-email.js";
import { setupComposer } from "./composer.js";
import { setupEmails } from "./emails.js";
import { loadConversations, setupList } from "./list.js";
import { startLiveUpdates } from "./live-events.js";
import { setupNewMessage, updateNewConversationCounter } from "./new-message.js";
import { root } from "./page.js";
import { setupReplies } from "./replies.js";
import { followUrl, setupRouting } from "./routing.js";
import { setupThread } from "./thread.js";

setupEmails();
setupList();
setupThread();
setupRouting();
setupReplies();
setupComposer();
setupNewMessage();
setupComposeEmail();

updateNewConversationCounter();
loadConversations();
followUrl();
startLiveUpdates();
// Every control works from here on (the page's controls are inert until this module runs).
root.dataset.ready = "true";
