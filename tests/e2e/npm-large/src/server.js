// The e2e npm-large service: / says who answers, and shows that its large
// production dependencies load. prettier (a dev dependency) must not reach
// the runner.
"use strict";
const http = require("http");
const AWS = require("aws-sdk");
const { google } = require("googleapis");
const ts = require("typescript");
const { formatISO } = require("date-fns");

const GREETING = "hello from npm-large";
const PORT = 18087;

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.end("ok\n");
    return;
  }
  res.end(
    `${GREETING}; uid=${process.getuid()} gid=${process.getgid()}` +
      ` aws=${AWS.VERSION} sheets=${typeof google.sheets} ts=${ts.version}` +
      ` epoch=${formatISO(new Date(0), { representation: "date" })}\n`
  );
});

server.listen(PORT, () => console.log(`listening on ${PORT}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
