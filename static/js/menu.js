// A menu button (the WAI-ARIA pattern): a button that opens a list of actions under it.
// Enter, Space or Down opens it on its first item, Up on its last; Up and Down move, Home
// and End jump, Escape closes it and gives focus back to the button, Tab closes it and moves
// on; a click anywhere else closes it.
//
// The items are buttons with role menuitem, menuitemradio or menuitemcheckbox, built by
// `fill(menu)` each time it opens (what they offer may have changed); a checkbox item keeps
// the menu open when chosen, so that several labels are toggled in one go.

import { h } from "./render.js";

let openMenu = null; // {button, menu} while one is open

function items(menu) {
  return [...menu.querySelectorAll("[role^=menuitem]:not([disabled])")];
}

function focusItem(menu, index) {
  const list = items(menu);
  if (list.length) {
    list[(index + list.length) % list.length].focus();
  }
}

export function closeMenu({ focusButton = false } = {}) {
  if (!openMenu) {
    return;
  }
  const { button, menu } = openMenu;
  openMenu = null;
  menu.hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (focusButton) {
    button.focus();
  }
}

// `button` gets aria-haspopup, aria-expanded and aria-controls; `menu` is the element
// the items go in. `fill(menu)` may be async: the menu opens at once with what it has.
export function menuButton({ button, menu, label, fill }) {
  menu.setAttribute("role", "menu");
  menu.setAttribute("aria-label", label);
  menu.hidden = true;
  button.setAttribute("aria-haspopup", "menu");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", menu.id);

  async function open(focusAt) {
    if (openMenu?.menu === menu) {
      return;
    }
    closeMenu();
    openMenu = { button, menu };
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const filled = fill(menu);
    if (focusAt !== null) {
      focusItem(menu, focusAt);
    }
    await filled;
    if (openMenu?.menu === menu && focusAt !== null && !menu.contains(document.activeElement)) {
      focusItem(menu, focusAt);
    }
  }

  button.addEventListener("click", () => {
    if (openMenu?.menu === menu) {
      closeMenu();
    } else {
      open(0);
    }
  });
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      open(event.key === "ArrowDown" ? 0 : -1);
    }
  });
  menu.addEventListener("keydown", (event) => {
    const list = items(menu);
    const index = list.indexOf(document.activeElement);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: -1 };
    if (event.key in moves) {
      event.preventDefault();
      focusItem(menu, moves[event.key]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeMenu({ focusButton: true });
    } else if (event.key === "Tab") {
      closeMenu();
    }
  });
  menu.addEventListener("click", (event) => {
    const item = event.target.closest("[role^=menuitem]");
    if (item && item.getAttribute("role") !== "menuitemcheckbox") {
      closeMenu({ focusButton: true });
    }
  });
}

// One item; `checked` (true or false) makes it a radio or checkbox item.
export function menuItem({ text, detail = "", role = "menuitem", checked = null, onChoose }) {
  const item = h(
    "button",
    {
      type: "button",
      role,
      tabindex: "-1",
      className: "menu-item",
      "aria-checked": checked === null ? null : String(checked),
    },
    h("span", { className: "menu-item-text" }, text),
    detail ? h("span", { className: "menu-item-detail" }, detail) : null,
  );
  item.addEventListener("click", onChoose);
  return item;
}

export function menuNote(text) {
  return h("p", { className: "menu-note", role: "none" }, text);
}

document.addEventListener("pointerdown", (event) => {
  if (
    openMenu &&
    !openMenu.menu.contains(event.target) &&
    !openMenu.button.contains(event.target)
  ) {
    closeMenu();
  }
});
