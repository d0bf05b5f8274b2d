// Files: the ones a person picks to send (a preview with a thumbnail or a name, its size,
// a remove button, the total, and the channel's limits checked before sending), and the
// ones a message or an email carries (images as thumbnails that open the file, every
// other file as a download chip with its name and size).
//
// The limits are attachments.services' (MMS_POLICY, EMAIL_POLICY). They only spare a
// person a refused send: the server checks again, from the files' bytes, and its answer
// is shown when it refuses.

import { h, icon } from "./render.js";

const MEGABYTE = 1000 * 1000; // as the providers count, and Hatch after them

// Each channel's limits, as the server defines them (attachments.services; the inbox page
// writes them as JSON in a data attribute): `what` names one message of the channel in a
// sentence, `types` is null for any type.
const limits = JSON.parse(document.getElementById("inbox").dataset.attachmentLimits);
const withTypeSet = (channel) => ({ ...channel, types: channel.types && new Set(channel.types) });
export const MMS_LIMITS = withTypeSet(limits.mms);
export const EMAIL_LIMITS = withTypeSet(limits.email);

export function formatSize(bytes) {
  const size = Number(bytes) || 0;
  if (size < 1000) {
    return `${size} ${size === 1 ? "byte" : "bytes"}`;
  }
  if (size < MEGABYTE) {
    return `${Math.round(size / 1000)} KB`;
  }
  return `${(size / MEGABYTE).toFixed(1).replace(/\.0$/, "")} MB`;
}

const capitalised = (text) => text[0].toUpperCase() + text.slice(1);

// Why these files cannot be sent, in words, or "" when they can.
export function limitProblem(files, limits) {
  if (files.length > limits.maxFiles) {
    const extra = files.length - limits.maxFiles;
    return `${capitalised(limits.what)} can carry at most ${limits.maxFiles} files: remove ${extra}.`;
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > limits.maxBytes) {
    return (
      `These files come to ${formatSize(total)}, and ${limits.what} can carry ` +
      `${formatSize(limits.maxBytes)} in all. Remove some, or send smaller ones.`
    );
  }
  const refused = limits.types && files.find((file) => file.type && !limits.types.has(file.type));
  if (refused) {
    return `${refused.name} cannot be sent in ${limits.what}: it can carry ${limits.typesInWords}.`;
  }
  const empty = files.find((file) => file.size === 0);
  if (empty) {
    return `${empty.name} is empty.`;
  }
  return "";
}

const PAPERCLIP =
  "M21 12l-8.5 8.5a5 5 0 0 1-7-7L14 5a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 8";
const CROSS = "M6 6l12 12M18 6L6 18";

// A preview's thumbnail: the CSP allows data: images (not blob:), so the file is read as
// one. Only images the browser can show get one.
function thumbnail(file) {
  const image = h("img", { alt: "", className: "attachment-thumb", decoding: "async" });
  const reader = new FileReader();
  reader.addEventListener("load", () => {
    image.src = reader.result;
  });
  reader.readAsDataURL(file);
  return image;
}

// The files picked for one message: `input` is the <input type=file> (its own selection is
// taken and cleared each time, so the same file can be picked again after a removal);
// `list` shows them; `summary` their count and total; `onChange` hears each change.
export function filePicker({ input, list, summary, limits, onChange = () => {} }) {
  let files = [];

  function render() {
    list.replaceChildren(
      ...files.map((file, index) =>
        h(
          "li",
          { className: "attachment-preview", "data-file-index": index },
          file.type.startsWith("image/") ? thumbnail(file) : icon(PAPERCLIP, "icon attachment-icon"),
          h(
            "span",
            { className: "attachment-text" },
            h("span", { className: "attachment-name" }, file.name),
            h("span", { className: "attachment-size" }, formatSize(file.size)),
          ),
          h(
            "button",
            {
              type: "button",
              className: "button button-quiet button-small attachment-remove",
              "data-remove": index,
              "aria-label": `Remove ${file.name}`,
            },
            icon(CROSS),
          ),
        ),
      ),
    );
    list.hidden = files.length === 0;
    const total = files.reduce((sum, file) => sum + file.size, 0);
    summary.textContent = files.length
      ? `${files.length} ${files.length === 1 ? "file" : "files"}, ${formatSize(total)} of ${formatSize(
          limits.maxBytes,
        )}`
      : "";
    summary.hidden = files.length === 0;
    onChange(files);
  }

  input.addEventListener("change", () => {
    files = [...files, ...input.files];
    input.value = "";
    render();
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) {
      return;
    }
    files = files.filter((_, index) => index !== Number(button.dataset.remove));
    render();
    input.focus();
  });

  return {
    get files() {
      return files;
    },
    set files(value) {
      files = [...value];
      render();
    },
    // `other` limits, for a message of another kind than the picker was made for.
    problem: (other = limits) => limitProblem(files, other),
    clear() {
      files = [];
      render();
    },
  };
}

// Files stored with a message or an email, as the API lists them: {id, filename,
// content_type, size, url}. The URL is Hatch's own (/files/<id>/<name>, signed-in only).
function isOwnUrl(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.origin === window.location.origin;
  } catch {
    return false;
  }
}

function attachmentItem(attachment) {
  const { url, filename = "file", content_type: contentType = "", size } = attachment;
  if (url === null) {
    // A file of a message still on its way: no link yet.
    return h(
      "li",
      {},
      h(
        "span",
        { className: "attachment-chip is-pending" },
        icon(PAPERCLIP, "icon attachment-icon"),
        h("span", { className: "attachment-name" }, filename),
        h("span", { className: "attachment-size" }, formatSize(size)),
      ),
    );
  }
  if (typeof url !== "string" || !isOwnUrl(url)) {
    return h("li", { className: "media-missing" }, `${filename} (unavailable)`);
  }
  if (contentType.startsWith("image/")) {
    return h(
      "li",
      { className: "attachment-image" },
      h(
        "a",
        { href: url, target: "_blank", rel: "noopener", title: `${filename}, ${formatSize(size)}` },
        h("img", { src: url, alt: filename, decoding: "async", loading: "lazy" }),
      ),
    );
  }
  return h(
    "li",
    {},
    h(
      "a",
      { className: "attachment-chip", href: url, download: filename },
      icon(PAPERCLIP, "icon attachment-icon"),
      h("span", { className: "attachment-name" }, filename),
      h("span", { className: "attachment-size" }, formatSize(size)),
    ),
  );
}

export function attachmentList(attachments) {
  if (!Array.isArray(attachments) || !attachments.length) {
    return null;
  }
  return h(
    "ul",
    {
      className: "attachments",
      "aria-label": attachments.length === 1 ? "Attachment" : `${attachments.length} attachments`,
    },
    attachments.map(attachmentItem),
  );
}
