"use strict";
const http = require("http");
const ms = require("ms");

const started = Date.now();
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.end("ok\n");
    return;
  }
  res.end(`web: up for ${ms(Date.now() - started)}\n`);
});
server.listen(3000, () => console.log("listening on 3000"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
