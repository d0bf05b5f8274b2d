// The Team page (templates/team/team.html), for admins: teammates and their roles, the
// invitation form with its one-time link, and labels, through the team API (team/api.py);
// saved replies have their own module (team-replies.js). The URLs come from the main
// element's data attributes.
//
// Static imports end with ";" so that collectstatic can give them hashed names.
import { deleteJSON, getJSON, patchJSON, postJSON } from "./api.js";
import { clearErrors, setBusy, showErrors } from "./forms.js";
import { loadSavedReplies } from "./team-replies.js";

const root = document.getElementById("team");
const byId = (id) => document.getElementById(id);
const currentUserId = Number(root.dataset.userId);
const ROLES = [
  ["admin", "Admin"],
  ["agent", "Agent"],
];

function urlFor(template, placeholder, id) {
  return template.replace(placeholder, encodeURIComponent(id));
}

const teammateUrl = (id) => urlFor(root.dataset.teammateUrl, "TEAMMATE_ID", id);
const labelUrl = (id) => urlFor(root.dataset.labelUrl, "LABEL_ID", id);

function element(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const [name, value] of Object.entries(attrs ?? {})) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function showMessage(target, text) {
  target.textContent = text;
  target.hidden = !text;
}

// ---------------------------------------------------------------------------- teammates

const teammateList = byId("teammate-list");
const teammatesError = byId("teammates-error");
const teammatesStatus = byId("teammates-status");

function renderTeammate(teammate) {
  const isMe = teammate.id === currentUserId;
  const who = element("div", { className: "teammate-who" }, [
    element("span", { className: "teammate-name", text: teammate.name }),
  ]);
  if (isMe) {
    who.append(element("span", { className: "badge badge-you", text: "You" }));
  }
  const details = [teammate.username, teammate.email].filter(Boolean).join(" · ");
  who.append(element("span", { className: "teammate-details muted", text: details }));

  const state = element("span", {
    className: "teammate-state",
    text: teammate.is_active ? "Active" : "Deactivated",
    attrs: { "data-active": String(teammate.is_active) },
  });

  const selectId = `teammate-role-${teammate.id}`;
  const role = element("select", { attrs: { id: selectId, "data-action": "role" } });
  for (const [value, label] of ROLES) {
    const option = element("option", { text: label, attrs: { value } });
    option.selected = value === teammate.role;
    role.append(option);
  }
  const roleField = element("div", { className: "teammate-role" }, [
    element("label", {
      className: "visually-hidden",
      text: `Role of ${teammate.name}`,
      attrs: { for: selectId },
    }),
    role,
  ]);

  const toggle = element("button", {
    className: "button button-small",
    text: teammate.is_active ? "Deactivate" : "Reactivate",
    attrs: {
      type: "button",
      "data-action": "active",
      "aria-label": `${teammate.is_active ? "Deactivate" : "Reactivate"} ${teammate.name}`,
    },
  });

  const item = element("li", { className: "teammate" }, [who, state, roleField, toggle]);
  item.dataset.teammateId = teammate.id;
  item.dataset.active = String(teammate.is_active);
  item.dataset.role = teammate.role;
  return item;
}

function showTeammates(teammates) {
  teammateList.replaceChildren(...teammates.map(renderTeammate));
  teammateList.setAttribute("aria-busy", "false");
  teammatesStatus.textContent = teammates.length ? "" : "No teammates yet.";
}

async function loadTeammates() {
  try {
    showTeammates(await getJSON(root.dataset.teammatesUrl));
  } catch (error) {
    teammatesStatus.textContent = error.message;
  }
}

function replaceTeammate(teammate) {
  const item = teammateList.querySelector(`[data-teammate-id="${teammate.id}"]`);
  const fresh = renderTeammate(teammate);
  if (item) {
    item.replaceWith(fresh);
  } else {
    teammateList.prepend(fresh);
  }
  return fresh;
}

async function changeTeammate(item, changes, focusAction) {
  showMessage(teammatesError, "");
  for (const control of item.querySelectorAll("select, button")) {
    control.disabled = true;
  }
  try {
    const teammate = await patchJSON(teammateUrl(item.dataset.teammateId), changes);
    const fresh = replaceTeammate(teammate);
    fresh.querySelector(`[data-action="${focusAction}"]`)?.focus();
    const what = teammate.is_active ? `is ${teammate.role === "admin" ? "an admin" : "an agent"}` : "is deactivated";
    teammatesStatus.textContent = `${teammate.name} ${what}.`;
  } catch (error) {
    showMessage(teammatesError, error.message);
    for (const control of item.querySelectorAll("select, button")) {
      control.disabled = false;
    }
    // What the page shows stays what Hatch holds.
    const select = item.querySelector("select");
    select.value = item.dataset.role;
  }
}

teammateList.addEventListener("change", (event) => {
  if (event.target.matches('[data-action="role"]')) {
    const item = event.target.closest("[data-teammate-id]");
    changeTeammate(item, { role: event.target.value }, "role");
  }
});

teammateList.addEventListener("click", (event) => {
  const button = event.target.closest('[data-action="active"]');
  if (button) {
    const item = button.closest("[data-teammate-id]");
    changeTeammate(item, { is_active: item.dataset.active !== "true" }, "active");
  }
});

// -------------------------------------------------------------------------- invitations

const inviteForm = byId("invite-form");
const invitation = byId("invitation");
const invitationLink = byId("invitation-link");
const copyStatus = byId("copy-status");

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function expiryInWords(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
}

inviteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(inviteForm);
  setBusy(inviteForm, true);
  try {
    const answer = await postJSON(root.dataset.inviteUrl, formValues(inviteForm));
    inviteForm.reset();
    replaceTeammate(answer.teammate);
    const text = byId("invitation-text");
    text.replaceChildren(
      "Give this link to ",
      element("strong", { text: answer.teammate.name }),
      `. It works once, until ${expiryInWords(answer.expires_at)}, and this page shows it only now.`,
    );
    invitationLink.value = answer.sign_in_url;
    copyStatus.textContent = "";
    invitation.hidden = false;
    text.focus();
  } catch (error) {
    showErrors(inviteForm, error);
  } finally {
    setBusy(inviteForm, false);
  }
});

byId("copy-invitation").addEventListener("click", async () => {
  invitationLink.select();
  try {
    await navigator.clipboard.writeText(invitationLink.value);
    copyStatus.textContent = "Link copied. Paste it into a message to your new teammate.";
  } catch {
    // No clipboard access (an insecure origin, or the browser said no): the link is
    // selected, so the keyboard shortcut copies it.
    copyStatus.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected link.";
  }
});

// ------------------------------------------------------------------------------- labels

const labelForm = byId("label-form");
const labelList = byId("label-list");
const labelsError = byId("labels-error");
const labelsStatus = byId("labels-status");

function labelField(formId, name, labelText, input) {
  input.id = `${formId}-${name}`;
  input.name = name;
  input.setAttribute("aria-describedby", `${input.id}-error`);
  return element("div", { className: `field label-field-${name}` }, [
    element("label", { className: "visually-hidden", text: labelText, attrs: { for: input.id } }),
    input,
    element("p", { className: "field-error", attrs: { id: `${input.id}-error`, hidden: "" } }),
  ]);
}

function renderLabel(label) {
  const formId = `label-edit-${label.id}`;
  const swatch = element("span", { className: "label-swatch", attrs: { "aria-hidden": "true" } });
  swatch.style.backgroundColor = label.colour;

  const name = element("input", { attrs: { type: "text", maxlength: "40", autocomplete: "off" } });
  name.value = label.name;
  const colour = element("input", { attrs: { type: "color" } });
  colour.value = label.colour;

  const form = element("form", { className: "label-edit", attrs: { id: formId, novalidate: "" } }, [
    swatch,
    labelField(formId, "name", `Name of the label ${label.name}`, name),
    labelField(formId, "colour", `Colour of the label ${label.name}`, colour),
    element("button", {
      className: "button button-small",
      text: "Save",
      attrs: { type: "submit", "aria-label": `Save the label ${label.name}` },
    }),
    element("button", {
      className: "button button-small button-quiet",
      text: "Delete",
      attrs: { type: "button", "data-action": "delete", "aria-label": `Delete the label ${label.name}` },
    }),
    element("p", {
      className: "form-error",
      attrs: { id: `${formId}-error`, role: "alert", hidden: "" },
    }),
  ]);
  form.setAttribute("aria-label", `Label ${label.name}`);

  const confirm = element("div", { className: "label-confirm", attrs: { hidden: "" } }, [
    element("p", {
      text: `Delete “${label.name}”? Conversations and contacts that carry it lose it.`,
    }),
    element("button", {
      className: "button button-small button-danger",
      text: "Delete label",
      attrs: { type: "button", "data-action": "confirm-delete" },
    }),
    element("button", {
      className: "button button-small",
      text: "Keep it",
      attrs: { type: "button", "data-action": "keep" },
    }),
  ]);

  const item = element("li", { className: "label-item" }, [form, confirm]);
  item.dataset.labelId = label.id;
  item.dataset.labelName = label.name;
  return item;
}

function showLabels(labels) {
  labelList.replaceChildren(...labels.map(renderLabel));
  labelList.setAttribute("aria-busy", "false");
  labelsStatus.textContent = labels.length ? "" : "No labels yet.";
}

async function loadLabels() {
  try {
    showLabels(await getJSON(root.dataset.labelsUrl));
  } catch (error) {
    labelsStatus.textContent = error.message;
  }
}

labelForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(labelForm);
  setBusy(labelForm, true);
  try {
    const label = await postJSON(root.dataset.labelsUrl, formValues(labelForm));
    await loadLabels();
    labelForm.elements.namedItem("name").value = "";
    labelsStatus.textContent = `Label “${label.name}” added.`;
    labelForm.elements.namedItem("name").focus();
  } catch (error) {
    showErrors(labelForm, error);
  } finally {
    setBusy(labelForm, false);
  }
});

labelList.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const item = form.closest("[data-label-id]");
  clearErrors(form);
  setBusy(form, true);
  try {
    const label = await patchJSON(labelUrl(item.dataset.labelId), formValues(form));
    const fresh = renderLabel(label);
    item.replaceWith(fresh);
    fresh.querySelector("input[name=name]").focus();
    labelsStatus.textContent = `Label “${label.name}” saved.`;
  } catch (error) {
    showErrors(form, error);
    setBusy(form, false);
  }
});

labelList.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action]");
  if (!button) {
    return;
  }
  const item = button.closest("[data-label-id]");
  const form = item.querySelector("form");
  const confirm = item.querySelector(".label-confirm");
  const action = button.dataset.action;
  if (action === "delete") {
    confirm.hidden = false;
    confirm.querySelector('[data-action="keep"]').focus();
  } else if (action === "keep") {
    confirm.hidden = true;
    form.querySelector('[data-action="delete"]').focus();
  } else if (action === "confirm-delete") {
    showMessage(labelsError, "");
    button.disabled = true;
    try {
      await deleteJSON(labelUrl(item.dataset.labelId));
      item.remove();
      labelsStatus.textContent = `Label “${item.dataset.labelName}” deleted.`;
      labelForm.elements.namedItem("name").focus();
    } catch (error) {
      showMessage(labelsError, error.message);
      button.disabled = false;
    }
  }
});

Promise.all([loadTeammates(), loadLabels(), loadSavedReplies()]).then(() => {
  root.dataset.ready = "true";
});
