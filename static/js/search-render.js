// Drawing the search box's results (search.js runs the box): a group per kind under its
// heading, each result an option with its title, its time and the snippet with the words
// that matched marked, and a "More" option while the group has further pages. Records in,
// DOM nodes out, as in the other render modules.
//
// The API's snippet is HTML: the matched text escaped, with only <mark> and </mark> added.
// It never reaches innerHTML: it is split on those two tags, each piece unescaped and put in
// as text, so that anything else in it, a tag included, shows as the characters it is.

import { channelBadge, displayContact, h, listTime, timeElement } from "./render.js";

export const GROUPS = [
  { kind: "contact", heading: "Contacts", more: "More contacts" },
  { kind: "message", heading: "Messages", more: "More messages" },
  { kind: "email", heading: "Emails", more: "More emails" },
  { kind: "note", heading: "Notes", more: "More notes" },
];

// The five entities an escaped text can hold (Django's escape, Python's html.escape), and
// any numeric one.
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENTITY = /&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos));/gi;

function unescapeHtml(text) {
  return text.replace(ENTITY, (whole, decimal, hex, name) => {
    if (name) {
      return ENTITIES[name.toLowerCase()];
    }
    const code = decimal ? Number(decimal) : Number.parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

export function snippetNodes(snippet) {
  const nodes = [];
  let marked = false;
  for (const part of String(snippet ?? "").split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>" || part === "</mark>") {
      marked = part === "<mark>";
    } else if (part) {
      const text = unescapeHtml(part);
      nodes.push(marked ? h("mark", {}, text) : text);
    }
  }
  return nodes;
}

export const optionId = (kind, id) => `search-${kind}-${id}`;
export const moreId = (kind) => `search-more-${kind}`;

// A message's title is the other party's number when their contact has no name.
function resultTitle(result) {
  const title = String(result.title ?? "").trim();
  if (!title) {
    return result.kind === "email" ? "(no subject)" : "Unknown";
  }
  return result.kind === "email" ? title : displayContact(title);
}

function resultOption(result) {
  return h(
    "div",
    {
      role: "option",
      id: optionId(result.kind, result.id),
      className: "search-option",
      "aria-selected": "false",
      "data-kind": result.kind,
      "data-result-id": result.id,
    },
    h(
      "span",
      { className: "search-option-top" },
      h("span", { className: "search-option-title" }, resultTitle(result)),
      result.channel && result.kind !== "email" ? channelBadge(result.channel) : null,
      result.at ? timeElement(result.at, listTime(result.at)) : null,
    ),
    result.snippet
      ? h("span", { className: "search-option-snippet" }, snippetNodes(result.snippet))
      : null,
  );
}

function moreOption(group) {
  return h(
    "div",
    {
      role: "option",
      id: moreId(group.kind),
      className: "search-option search-more",
      "aria-selected": "false",
      "aria-disabled": group.loading ? "true" : null,
      "data-more": group.kind,
    },
    group.loading ? "Loading…" : group.more,
  );
}

// groups: [{kind, heading, more, results, next, loading}], in GROUPS' order. A group with
// nothing found is left out, heading and all.
export function resultGroups(groups) {
  return groups
    .filter((group) => group.results.length)
    .map((group) => {
      const headingId = `search-heading-${group.kind}`;
      return h(
        "div",
        { role: "group", className: "search-group", "aria-labelledby": headingId },
        h(
          "div",
          { role: "presentation", className: "search-group-heading", id: headingId },
          group.heading,
        ),
        group.results.map(resultOption),
        group.next ? moreOption(group) : null,
      );
    });
}
