// Gridpoints' GraphiQL page (served by api/graphiql.py with the files next to this one, so it
// works without internet). It is a file, not an inline script: the page's Content-Security-
// Policy allows scripts from the service itself only.
(function () {
  "use strict";

  var DEFAULT_QUERY = [
    "# Gridpoints GraphQL API",
    "#",
    "# Sign in with the `login` mutation, then put its access token in the Headers tab below:",
    '#   {"Authorization": "Bearer <accessToken>"}',
    "#",
    "# Run the operation: Ctrl-Enter, or the play button.",
    "",
    "{",
    "  areas(first: 5) {",
    "    edges {",
    "      node {",
    "        name",
    "        level",
    "      }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");

  // The endpoint is this page's own URL; subscriptions use the same path over WebSocket.
  var url = window.location.href.split("#")[0].split("?")[0];
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: url.replace(/^http/, "ws"),
  });
  // A shared link may carry a query: /graphql?q=...
  var shared = new URLSearchParams(window.location.search).get("q");

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      query: shared || undefined,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers hold access tokens: never written to the browser's storage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    })
  );
})();
