// The e2e yarn service, compiled by the dev dependency TypeScript in the build
// stage: / says who answers and uses the production dependency `bytes`.
// Neither `typescript` nor `@types/node` may reach the runner.
import http = require("http");
import bytes = require("bytes");

const GREETING = "hello from yarn";
const PORT = 18094;

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.end("ok\n");
    return;
  }
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  res.end(`${GREETING}; uid=${uid} gid=${gid} rss=${bytes(process.memoryUsage().rss)}\n`);
});

server.listen(PORT, () => console.log(`listening on ${PORT}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
