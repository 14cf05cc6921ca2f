// @ts-check
// The API reference (docs.html): Swagger UI (swagger-ui-dist, copied by build.mjs) renders the
// OpenAPI document the API generates from its code, GET /api/openapi.json. Read-only: no
// "Try it out", so the page never sends a request with someone's token.
import { openApiDocumentUrl } from "./endpoints.js";

const root = /** @type {HTMLElement} */ (document.getElementById("api-reference"));
const ui = /** @type {{ SwaggerUIBundle?: (options: Record<string, unknown>) => unknown }} */ (/** @type {unknown} */ (window));

if (ui.SwaggerUIBundle) {
  ui.SwaggerUIBundle({
    url: openApiDocumentUrl(),
    domNode: root,
    deepLinking: true,
    supportedSubmitMethods: [],
    onComplete: () => { root.dataset.ready = "true"; },
  });
} else {
  root.textContent = "The API reference could not load (vendor/swagger-ui-bundle.js is missing).";
  root.dataset.ready = "error";
}
