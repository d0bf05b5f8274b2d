// Hatch's JSON API, as the inbox uses it: session cookie for authentication, CSRF token
// on every write, and one error shape ({"error": "...", "fields": {"name": ["..."]}}).

export class ApiError extends Error {
  constructor(message, { status = 0, fields = {} } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

function csrfToken() {
  const cookie = document.cookie
    .split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith("csrftoken="));
  if (cookie) {
    return decodeURIComponent(cookie.slice("csrftoken=".length));
  }
  // Without the cookie (CSRF_USE_SESSIONS or an HttpOnly cookie), the token the page was
  // rendered with still works.
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

// The API's "next" links are absolute URLs built from the request. Behind a proxy that
// terminates TLS they may say http:// on an https:// page, so only their path is used.
export function samePath(url) {
  const parsed = new URL(url, window.location.href);
  return parsed.pathname + parsed.search;
}

async function request(url, { method = "GET", body, signal, idempotencyKey } = {}) {
  const headers = { Accept: "application/json" };
  if (idempotencyKey) {
    // Names the attempt, so that a server that honours the header stores a retried send
    // once; one that does not ignores it.
    headers["Idempotency-Key"] = idempotencyKey;
  }
  // A FormData body (files) sets its own multipart Content-Type, boundary included.
  const multipart = body instanceof FormData;
  if (body !== undefined && !multipart) {
    headers["Content-Type"] = "application/json";
  }
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
  }
  let response;
  try {
    response = await fetch(samePath(url), {
      method,
      headers,
      body: body === undefined || multipart ? body : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") {
      throw error;
    }
    throw new ApiError("Hatch could not be reached. Check your connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // A proxy's HTML error page, for instance: handled below by the status.
  }
  if (response.status === 401) {
    throw new ApiError("You have been signed out. Reload the page to sign in again.", {
      status: 401,
    });
  }
  if (!response.ok) {
    const message =
      typeof data?.error === "string" && data.error
        ? data.error
        : `Hatch answered with an error (HTTP ${response.status}). Try again.`;
    throw new ApiError(message, { status: response.status, fields: data?.fields ?? {} });
  }
  if (response.status === 204) {
    return null; // a delete: nothing to read
  }
  if (data === null) {
    throw new ApiError("Hatch sent an answer the inbox could not read. Try again.", {
      status: response.status,
    });
  }
  return data;
}

export function getJSON(url, { signal } = {}) {
  return request(url, { signal });
}

// `body` is sent as JSON, or as multipart/form-data when it is a FormData (files).
export function postJSON(url, body, { idempotencyKey } = {}) {
  return request(url, { method: "POST", body, idempotencyKey });
}

export function patchJSON(url, body) {
  return request(url, { method: "PATCH", body });
}

export function deleteJSON(url) {
  return request(url, { method: "DELETE" });
}
