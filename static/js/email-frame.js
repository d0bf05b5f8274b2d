// An email's HTML, shown in a sandboxed frame: the server has sanitised it already (no
// script, form or remote image unless asked for: html_content_safe), and the frame is a
// second wall. Its sandbox has no allow-scripts, so nothing in it can run even if the
// sanitiser missed something; it keeps the inbox's origin only so that the page can size
// the frame to the email and apply the email's styles (below). Links open in a new tab.
//
// A srcdoc frame inherits the inbox's Content-Security-Policy, whose style-src allows no
// inline style attribute. HTML email is laid out with style attributes, so they are renamed
// (data-email-style) before the frame parses them and applied afterwards through the CSSOM,
// which the policy does not govern: the email keeps its looks, the policy stays as strict,
// and the browser reports no violation. The renaming is textual: any document the page
// parses (DOMParser, a template) is held to the policy and reports each style attribute.
// It relies on how the sanitiser writes HTML out (html5ever's serialiser): "<" and ">" in
// text are escaped, and every attribute value is double-quoted with no '"' inside, so a
// tag is exactly what TAG matches and ' style="' inside one starts that attribute. HTML
// written otherwise fails safe: a style attribute left in place is simply not applied.

import { EMAIL_FRAME_CSS } from "./page.js";
import { h } from "./render.js";

const SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox";
const STYLE_ATTRIBUTE = "data-email-style";

const TAG = /<[a-zA-Z][^\s/>]*(?:\s+[^\s"'>/=]+(?:="[^"]*")?)*\s*\/?>/g;

function frameDocument(html) {
  const body = html.replace(TAG, (tag) => tag.replace(/(\s)style="/g, `$1${STYLE_ATTRIBUTE}="`));
  const head = `<meta charset="utf-8"><base target="_blank"><link rel="stylesheet" href="${EMAIL_FRAME_CSS}">`;
  return `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;
}

function fitToContent(frame) {
  const doc = frame.contentDocument;
  if (!doc?.documentElement) {
    return;
  }
  const height = Math.ceil(doc.documentElement.getBoundingClientRect().height);
  frame.style.height = `${Math.max(height, 24)}px`;
}

function applyStyles(frame) {
  const doc = frame.contentDocument;
  if (!doc) {
    return;
  }
  for (const element of doc.querySelectorAll(`[${STYLE_ATTRIBUTE}]`)) {
    element.style.cssText = element.getAttribute(STYLE_ATTRIBUTE);
  }
  fitToContent(frame);
  // Images arrive after load, and the pane's width changes: follow the content's height.
  new ResizeObserver(() => fitToContent(frame)).observe(doc.documentElement);
}

export function emailFrame(html, { title }) {
  const frame = h("iframe", { className: "email-frame", sandbox: SANDBOX, title });
  frame.srcdoc = frameDocument(html);
  frame.addEventListener("load", () => applyStyles(frame));
  return frame;
}
