"use strict";

// Swagger UI for /api/docs/. Its settings come from data attributes on #swagger-ui, so
// that the page needs no inline script (the Content-Security-Policy forbids one).
(function () {
  const root = document.getElementById("swagger-ui");
  const csrfToken = root.dataset.csrfToken;

  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // "Try it out" runs with this page's session; a POST then needs the CSRF header,
    // as for the inbox. Calls authorised with a token need none.
    requestInterceptor: (request) => {
      const method = (request.method || "GET").toUpperCase();
      if (!["GET", "HEAD", "OPTIONS"].includes(method) && request.credentials === "same-origin") {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();
