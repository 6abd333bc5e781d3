// The e2e pnpm service: / answers with the greeting of the
// workspace package @e2e/greeting, and who answers.
"use strict";
const http = require("http");
const ms = require("ms");
const { GREETING, size } = require("@e2e/greeting");

const PORT = 18096;

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.end("ok\n");
    return;
  }
  res.end(
    `${GREETING}; uid=${process.getuid()} gid=${process.getgid()}` +
      ` ms=${ms(60000)} size=${size(2048)}\n`
  );
});

server.listen(PORT, () => console.log(`listening on ${PORT}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
