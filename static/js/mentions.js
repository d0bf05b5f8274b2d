// @mentions in a note: typing "@" and a few letters lists the teammates whose name or
// username starts that way (GET /api/teammates); Up and Down choose, Enter or Tab puts
// "@username " in, Escape closes the list. The textarea stays focused throughout
// (aria-activedescendant names the option chosen), as the combobox pattern does it.

import { h } from "./render.js";
import { activeTeammates, teammates } from "./team-data.js";

const MAX_SHOWN = 6;

// The "@query" just before the caret, if the caret is at the end of one.
function mentionAt(textarea) {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const match = /(^|\s)@([\w.+-]*)$/.exec(before);
  if (!match || textarea.selectionStart !== textarea.selectionEnd) {
    return null;
  }
  return { query: match[2], start: before.length - match[2].length - 1 };
}

function matches(person, query) {
  const needle = query.toLowerCase();
  const words = [person.username, ...String(person.name ?? "").split(/\s+/)];
  return words.some((word) => word?.toLowerCase().startsWith(needle));
}

// `enabled()`: whether mentions apply now (the reply box takes them only for a note).
export function attachMentions(textarea, { enabled = () => true, idPrefix }) {
  const list = h("ul", {
    className: "mention-list",
    id: `${idPrefix}-mentions`,
    role: "listbox",
    "aria-label": "Teammates to mention",
    hidden: true,
  });
  const status = h("span", { className: "visually-hidden", role: "status" });
  textarea.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", status);
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);

  const shown = { people: [], active: 0, mention: null };

  function close() {
    list.hidden = true;
    list.replaceChildren();
    shown.people = [];
    shown.mention = null;
    textarea.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    shown.active = (index + shown.people.length) % shown.people.length;
    [...list.children].forEach((option, position) => {
      option.setAttribute("aria-selected", String(position === shown.active));
    });
    textarea.setAttribute("aria-activedescendant", list.children[shown.active].id);
  }

  function choose(index) {
    const person = shown.people[index];
    const mention = shown.mention;
    if (!person || !mention) {
      return;
    }
    const inserted = `@${person.username} `;
    const end = textarea.selectionStart;
    textarea.setRangeText(inserted, mention.start, end, "end");
    close();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    status.textContent = `${person.name} mentioned.`;
  }

  async function update() {
    const mention = enabled() ? mentionAt(textarea) : null;
    if (!mention) {
      close();
      return;
    }
    let people;
    try {
      people = activeTeammates(await teammates());
    } catch {
      close();
      return;
    }
    // The text may have moved on while the teammates were fetched.
    const now = enabled() ? mentionAt(textarea) : null;
    if (!now || now.start !== mention.start) {
      return;
    }
    shown.people = people.filter((person) => matches(person, now.query)).slice(0, MAX_SHOWN);
    shown.mention = now;
    if (!shown.people.length) {
      close();
      status.textContent = "No teammate by that name.";
      return;
    }
    list.replaceChildren(
      ...shown.people.map((person, index) => {
        const option = h(
          "li",
          { role: "option", id: `${list.id}-${index}`, className: "mention-option" },
          h("span", { className: "mention-name" }, person.name),
          h("span", { className: "mention-username" }, `@${person.username}`),
        );
        // Chosen with the pointer without taking the focus from the textarea.
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => choose(index));
        return option;
      }),
    );
    list.hidden = false;
    highlight(0);
    const count = shown.people.length;
    const found = count === 1 ? "1 teammate" : `${count} teammates`;
    status.textContent = `${found}: up and down to choose, Enter to mention.`;
  }

  textarea.addEventListener("input", update);
  textarea.addEventListener("click", update);
  textarea.addEventListener("blur", close);
  // In the capture phase, so that Enter chooses a teammate before the reply box's own
  // Enter-to-send handler (a listener on the same element, added earlier) sees it.
  textarea.addEventListener(
    "keydown",
    (event) => {
      if (list.hidden || event.isComposing) {
        return;
      }
      const handled = {
        ArrowDown: () => highlight(shown.active + 1),
        ArrowUp: () => highlight(shown.active - 1),
        Enter: () => choose(shown.active),
        Tab: () => choose(shown.active),
        Escape: close,
      }[event.key];
      if (handled && !(event.key === "Enter" && event.shiftKey)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        handled();
      }
    },
    { capture: true },
  );
  return { close };
}
