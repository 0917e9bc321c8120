// Starts Swagger UI on the API docs page. A file of its own, not an inline script: the
// Content-Security-Policy lets pages run scripts from this server only.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    withCredentials: true,
    requestInterceptor: function (request) {
      var token = root.getAttribute("data-csrf-token");
      if (token && request.method && request.method.toUpperCase() !== "GET") {
        request.headers["X-CSRF-Token"] = token;
      }
      return request;
    },
  });
});
