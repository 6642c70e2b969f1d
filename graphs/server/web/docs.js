// Swagger UI over this server's own OpenAPI document; a file, not an inline script, so the CSP holds.
window.addEventListener("load", () => {
  SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });
});
