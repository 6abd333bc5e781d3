// The image's health check: node itself asks /healthz (no curl in the runner).
require("http")
  .get("http://127.0.0.1:18087/healthz", (res) => process.exit(res.statusCode === 200 ? 0 : 1))
  .on("error", () => process.exit(1));
