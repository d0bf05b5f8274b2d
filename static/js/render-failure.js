// How a failed message or email says why, under it: what happened, what to do, and a link
// to the provider's page for the code ("Error 30007 at Twilio", in a new tab). `reason` is
// an entry of the failure tables (failure-reasons.js); like the other render modules, no
// state and no requests.

import { h } from "./render.js";

export function failureReason(reason, { id = null } = {}) {
  if (!reason) {
    return null;
  }
  // A provider's number names its page ("Error 30007 at Twilio"); Hatch's words for a
  // bounce or a drop ("dropped-invalid") would not, so those links say whose page it is.
  const numbered = /^\d+$/.test(reason.code);
  const provider = reason.provider || "the provider";
  const linkText = numbered
    ? `Error ${reason.code} at ${provider}`
    : `${provider}'s page about this`;
  return h(
    "div",
    { className: "failure-reason", id, "data-failure-code": reason.code },
    h("p", { className: "failure-title" }, reason.title),
    h("p", { className: "failure-action" }, reason.action),
    reason.url
      ? h(
          "a",
          {
            className: "failure-link",
            href: reason.url,
            target: "_blank",
            // The provider's page gets no hold on this window (window.opener).
            rel: "noopener",
          },
          linkText,
          h("span", { className: "visually-hidden" }, " (opens in a new tab)"),
        )
      : null,
  );
}
