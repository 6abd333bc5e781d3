const fastify = require("fastify")();
fastify.get("/healthz", async () => "ok");
fastify.listen({ port: 3000, host: "0.0.0.0" });
