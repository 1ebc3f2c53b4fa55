// Runs the GraphQL-over-HTTP spec's audit suite (graphql-http's auditServer) against the URL
// given as the only argument and prints one JSON array: every audit with its id, name, status
// ("ok", "notice", "warn" or "error") and, for those that did not pass, the reason and what
// the server answered. tests/api/test_graphql_over_http_audit.py reads it.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://host:port/graphql');
  process.exit(2);
}

const results = await auditServer({ url });
const report = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.response = {
      status: result.response.status,
      contentType: result.response.headers.get('content-type'),
      body: await result.response
        .text()
        .then((text) => text.slice(0, 500))
        .catch(() => '(already read)'),
    };
  }
  report.push(entry);
}
process.stdout.write(JSON.stringify(report) + '\n');
